/* Test-only: hold a file open with no sharing, as Outlook holds its .pst and
 * Excel an open workbook, so that the Windows check can see how piisweep
 * reports a file locked by another program. Usage:
 *   holdopen FILE READY RELEASE
 * opens FILE with share mode 0, creates READY, then waits until RELEASE
 * exists (the check creates it when it is done) and exits. */
#include <windows.h>
#include <stdio.h>

int wmain(int argc, wchar_t **argv) {
    if (argc != 4) { fwprintf(stderr, L"usage: holdopen FILE READY RELEASE\n"); return 2; }
    HANDLE held = CreateFileW(argv[1], GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    if (held == INVALID_HANDLE_VALUE) { fwprintf(stderr, L"cannot open %ls: %lu\n", argv[1], GetLastError()); return 1; }
    HANDLE ready = CreateFileW(argv[2], GENERIC_WRITE, 0, NULL, CREATE_NEW, 0, NULL);
    if (ready == INVALID_HANDLE_VALUE) return 1;
    CloseHandle(ready);
    while (GetFileAttributesW(argv[3]) == INVALID_FILE_ATTRIBUTES) Sleep(50);
    CloseHandle(held);
    return 0;
}
