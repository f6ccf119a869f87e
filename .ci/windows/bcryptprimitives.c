/* Test-only stand-in for Windows 10+'s bcryptprimitives.dll, which Debian 12's
 * wine 8 lacks: Rust's std (and getrandom) call its ProcessPrng for random
 * bytes. This forwards to advapi32's RtlGenRandom (SystemFunction036), which
 * wine has. Built with mingw by .ci/windows.sh and put beside the exe in a
 * throw-away wine prefix; never shipped (real Windows has the DLL). */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk)) return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
