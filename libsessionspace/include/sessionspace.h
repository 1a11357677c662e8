/*
 * sessionspace.h — the whole public API of libsessionspace for users.
 *
 * One header per concept under sessionspace/; this one includes them all.
 * Implementors of custom memory backends also include sessionspace/sys/backend.h.
 */
#ifndef SESSIONSPACE_H
#define SESSIONSPACE_H

#include "sessionspace/callback.h"
#include "sessionspace/common.h"
#include "sessionspace/disasm.h"
#include "sessionspace/kd.h"
#include "sessionspace/nt.h"
#include "sessionspace/scan.h"
#include "sessionspace/source.h"
#include "sessionspace/space.h"
#include "sessionspace/vmi.h"

#endif /* SESSIONSPACE_H */
