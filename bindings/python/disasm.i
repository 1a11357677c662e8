/*
 * disasm.i — the disassembler (sessionspace/disasm.h) for sessionspace.capi. The
 * Pythonic layer's Space.disasm() iterates with ssp_disasm_next(); an ss_disasm
 * handle is a SWIG pointer the layer closes (it holds the space it reads through).
 */
%{
#include <sessionspace/disasm.h>
%}

%inline %{
/* ss_disasm_open with options from arguments (bits 0: from the space's mode):
 * (status, handle or None, message). */
PyObject *ssp_disasm_open(ss_space *space, unsigned bits, int syntax)
{
    ss_disasm_options o;
    ss_status st = ss_disasm_options_init(&o, SS_DISASM_OPTIONS_VERSION);
    ss_disasm *d = NULL;
    ss_error err;
    memset(&err, 0, sizeof err);
    if (st == SS_OK) {
        o.bits = bits;
        o.syntax = (ss_disasm_syntax)syntax;
        st = ss_disasm_open(space, &o, &d, &err);
    }
    if (st != SS_OK)
        return Py_BuildValue("(iOs)", (int)st, Py_None, err.message);
    PyObject *h = SWIG_NewPointerObj(d, SWIGTYPE_p_ss_disasm, 0);
    if (!h) {
        ss_disasm_close(d);
        return NULL;
    }
    return Py_BuildValue("(iNs)", (int)st, h, "");
}

/* The next instruction: (SS_OK, (address, bytes, mnemonic, operands, flags)), or
 * (status, stop dict: status, insn_va, va, nbytes, xlat as ss_space_walk's dict). */
PyObject *ssp_disasm_next(ss_disasm *d)
{
    ss_insn in;
    ss_disasm_stop stop;
    memset(&in, 0, sizeof in);
    memset(&stop, 0, sizeof stop);
    ss_status st = ss_disasm_next(d, &in, &stop);
    if (st == SS_OK) {
        in.mnemonic[sizeof in.mnemonic - 1] = '\0';
        in.operands[sizeof in.operands - 1] = '\0';
        return Py_BuildValue("(i(Ky#ssI))", (int)st, (unsigned long long)in.address, (const char *)in.bytes,
                             (Py_ssize_t)(in.size <= SS_INSN_MAX_BYTES ? in.size : SS_INSN_MAX_BYTES),
                             in.mnemonic, in.operands, (unsigned)in.flags);
    }
    if (st == SS_E_INVALID_ARG)
        return ssp_raise(st, "disassembler: %s", ss_strerror(st));
    PyObject *x = ssp_xlat_dict(&stop.xlat);
    if (!x)
        return NULL;
    return Py_BuildValue("(i{s:i,s:K,s:K,s:I,s:N})", (int)st, "status", (int)stop.status, "insn_va",
                         (unsigned long long)stop.insn_va, "va", (unsigned long long)stop.va, "nbytes",
                         (unsigned)stop.nbytes, "xlat", x);
}
%}

ss_status ss_disasm_seek(ss_disasm *d, uint64_t va);
uint64_t ss_disasm_tell(const ss_disasm *d);
void ss_disasm_close(ss_disasm *d);

%constant int SS_INSN_F_BAD = SS_INSN_F_BAD;
%constant int SS_DISASM_SYNTAX_MASM = SS_DISASM_SYNTAX_MASM;
%constant int SS_DISASM_SYNTAX_INTEL = SS_DISASM_SYNTAX_INTEL;
%constant int SS_DISASM_SYNTAX_ATT = SS_DISASM_SYNTAX_ATT;
