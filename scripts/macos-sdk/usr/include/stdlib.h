/* Enough of Darwin's stdlib.h for ring (which only includes it). See
 * scripts/macos-check.sh. */
#pragma once
#include <stddef.h>
void abort(void) __attribute__((noreturn));
