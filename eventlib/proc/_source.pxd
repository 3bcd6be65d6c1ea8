# The compiled build's declarations for eventlib.proc._source (hatch_build.py, EVENTLIB_COMPILE=1):
# its slotted class as a Cython extension type, every slot a public attribute, so that
# compiled code reaches them directly. Pure Python ignores this file.


cdef class Source:
    cdef object __weakref__
    cdef public object _exc
    cdef public object _links
    cdef public object _name
    cdef public object _result
    cdef public object exception_observed
