# The compiled build's declarations for eventlib.hub._waiter (hatch_build.py, EVENTLIB_COMPILE=1):
# its slotted class as a Cython extension type, every slot a public attribute, so that
# compiled code reaches them directly; the hub it belongs to typed as one, and so is the
# waiter a hand-off wakes. Pure Python ignores this file.

cimport cython

from eventlib.hub._hub cimport Hub


cdef class Waiter:
    cdef public object _exc
    cdef public object _state
    cdef public object _value
    cdef public object greenlet
    cdef public Hub hub


@cython.locals(hub=Hub, other=Waiter)
cpdef _hand_off(hub, loop, ready)
