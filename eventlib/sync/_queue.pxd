# The compiled build's declarations for eventlib.sync._queue (hatch_build.py, EVENTLIB_COMPILE=1):
# its slotted class as a Cython extension type, every slot a public attribute, so that
# compiled code reaches them directly. Pure Python ignores this file.


cdef class Queue:
    cdef public object _getters
    cdef public object _handed
    cdef public object _items
    cdef public object _putters
    cdef public object maxsize
