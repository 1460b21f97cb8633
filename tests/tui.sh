#!/bin/bash
. "$TOP_SRCDIR/tests/lib.sh"
skip_all "not yet"
