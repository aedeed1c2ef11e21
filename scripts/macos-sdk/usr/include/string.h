/* The declarations of Darwin's string.h that ring uses (memcpy, memset,
 * memcmp, memmove), as the C standard gives them. See scripts/macos-check.sh. */
#pragma once
#include <stddef.h>
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
