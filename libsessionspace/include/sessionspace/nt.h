/*
 * sessionspace/nt.h — the Windows model: structure layouts (profiles), processes,
 * sessions, session-space regions and "where is this address valid".
 *
 * The model is built on the public source / space API only (src/nt/ includes no
 * core internals). The structure layouts it reads are profiles (sessionspace/profile.h).
 */
#ifndef SESSIONSPACE_NT_H
#define SESSIONSPACE_NT_H

#include "common.h"
#include "profile.h"
#include "source.h"
#include "space.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif /* SESSIONSPACE_NT_H */
