/* The part of Apple's TargetConditionals.h that ring reads: a Mac. See
 * scripts/macos-check.sh; this is for `cargo check`, nothing is linked. */
#pragma once
#define TARGET_OS_MAC 1
#define TARGET_OS_OSX 1
#define TARGET_OS_IPHONE 0
#define TARGET_OS_IOS 0
#define TARGET_OS_TV 0
#define TARGET_OS_WATCH 0
#define TARGET_OS_SIMULATOR 0
