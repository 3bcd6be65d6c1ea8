# The compiled build's declarations for eventlib.hub._waiter (hatch_build.py, EVENTLIB_COMPILE=1):
# its slotted class as a Cython extension type, every slot a public attribute, so that
# compiled code reaches them directly. Pure Python ignores this file.


cdef class Waiter:
    cdef public object _exc
    cdef public object _state
    cdef public object _value
    cdef public object greenlet
    cdef public object hub
