/* A stand-in for Windows' bcryptprimitives.dll, which Debian 12's Wine 8 lacks.
 * Rust's standard library imports ProcessPrng from it for random numbers (HashMap seeds);
 * this shim provides it through RtlGenRandom (advapi32!SystemFunction036), which Wine has.
 * Built by ci/wine/setup for the tests run under Wine only; never shipped. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
