# The compiled build's declarations for eventlib.proc._proc (hatch_build.py, EVENTLIB_COMPILE=1):
# its slotted class as a Cython extension type, every slot a public attribute, so that
# compiled code reaches them directly. Pure Python ignores this file.

from eventlib.proc._source cimport Source


cdef class Proc(Source):
    cdef public object _function
    cdef public object _hub
    cdef public object _parent_ref
    cdef public object _start_timer
    cdef public object _started_at
    cdef public object exit_reason
    cdef public object greenlet
    cdef public object id
    cdef public object parent_id
    cdef public object supervisor_path
