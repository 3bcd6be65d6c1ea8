# The compiled build's declarations for eventlib.mailbox._mailbox (hatch_build.py, EVENTLIB_COMPILE=1):
# its slotted class as a Cython extension type, every slot a public attribute, so that
# compiled code reaches them directly. Pure Python ignores this file.


cdef class Mailbox:
    cdef public object _closed
    cdef public object _match
    cdef public object _messages
    cdef public object _receiver
    cdef public object _senders
    cdef public object capacity
