# Empty compiler generated dependencies file for sessionspace.
# This may be replaced when dependencies are built.
