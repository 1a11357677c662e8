file(REMOVE_RECURSE
  "libsessionspace.a"
)
