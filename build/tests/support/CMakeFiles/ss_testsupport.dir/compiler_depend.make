# Empty compiler generated dependencies file for ss_testsupport.
# This may be replaced when dependencies are built.
