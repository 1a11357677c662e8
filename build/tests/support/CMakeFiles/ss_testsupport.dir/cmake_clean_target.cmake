file(REMOVE_RECURSE
  "libss_testsupport.a"
)
