# The compiled build's declarations for eventlib.hub._hub (hatch_build.py, EVENTLIB_COMPILE=1):
# Hub as a Cython extension type whose attributes are those its __init__ sets, each public,
# so that compiled code (its own methods, and the Waiter and Timer that hold a Hub) reaches
# them directly. Other attributes go to the instance __dict__, as in Python. Pure Python
# ignores this file.


cdef class Hub:
    cdef dict __dict__
    cdef object __weakref__
    cdef public object _armed
    cdef public object _asyncio_loop
    cdef public object _closed
    cdef public object _fd_watches
    cdef public object _handoffs
    cdef public object _idle_workers
    cdef public object _live_timers
    cdef public object _own_loop
    cdef public object _ready
    cdef public object _timer_call
    cdef public object _timer_call_at
    cdef public object _timer_seq
    cdef public object _timers
    cdef public object _timers_dirty
    cdef public object error_hook
    cdef public object greenlet
    cdef public object joined
    cdef public object procs
    cdef public object reactor
