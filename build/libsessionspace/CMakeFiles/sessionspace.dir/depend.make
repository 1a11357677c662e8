# Empty dependencies file for sessionspace.
# This may be replaced when dependencies are built.
