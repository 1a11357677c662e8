# Empty compiler generated dependencies file for ss-mkimage.
# This may be replaced when dependencies are built.
