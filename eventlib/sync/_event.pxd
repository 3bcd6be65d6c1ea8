# The compiled build's declarations for eventlib.sync._event (hatch_build.py, EVENTLIB_COMPILE=1):
# its slotted class as a Cython extension type, every slot a public attribute, so that
# compiled code reaches them directly. Pure Python ignores this file.


cdef class Event:
    cdef public object _exc
    cdef public object _result
    cdef public object _waiters
    cdef public object epoch
