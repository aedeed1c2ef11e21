/*
 * A test fixture for running the Windows build under Wine 8, never shipped.
 *
 * Rust's standard library takes its random bytes from ProcessPrng in
 * bcryptprimitives.dll (Windows 10 and later), which Wine 8 does not have.
 * This DLL gives ProcessPrng on top of advapi32's RtlGenRandom
 * (SystemFunction036), which Wine has; scripts/wine.sh builds it with
 * mingw-w64 into the test prefix's system32.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG n = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, n))
            return FALSE;
        data += n;
        length -= n;
    }
    return TRUE;
}
