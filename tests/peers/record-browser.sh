#!/bin/sh
# A "browser" that only records the URL it was handed; the test plays the person.
printf '%s\n' "$1" >> "${BROWSER_LOG:?}"
