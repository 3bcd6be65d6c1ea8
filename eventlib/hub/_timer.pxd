# The compiled build's declarations for eventlib.hub._timer (hatch_build.py, EVENTLIB_COMPILE=1):
# its slotted class as a Cython extension type, every slot a public attribute, so that
# compiled code reaches them directly; the hub whose heap holds it typed as one. Pure
# Python ignores this file.

from eventlib.hub._hub cimport Hub


cdef class Timer:
    cdef public object _args
    cdef public object _function
    cdef public Hub _heap_hub
    cdef public object _kwargs
    cdef public object _owner
    cdef public object _owner_proc
    cdef public object _state
    cdef public object seconds
