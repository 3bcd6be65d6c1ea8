"""eventlib.pools: the classic generic resource pool (create/get/put, item(), TokenPool, fan)."""

import itertools

import pytest

from eventlib import api, pools, proc


class Counted(pools.Pool):
    """A pool whose items are 1, 2, 3... in creation order."""

    def __init__(self, *args, **kwargs):
        self.made = itertools.count(1)
        super().__init__(*args, **kwargs)

    def create(self):
        return next(self.made)


def test_min_size_items_are_created_up_front():
    """Pool(min_size=n) creates n items at once; they are free."""
    pool = Counted(min_size=2, max_size=4)
    assert (pool.current_size, list(pool.free_items), pool.free()) == (2, [1, 2], 4)


def test_get_creates_items_until_max_size(virtual_clock):
    """get() makes a new item with create() while fewer than max_size exist."""
    pool = Counted(max_size=2)
    assert [pool.get(), pool.get()] == [1, 2]
    assert (pool.current_size, pool.free()) == (2, 0)


def test_get_prefers_a_free_item_to_creating_one(virtual_clock):
    """A returned item is handed out again before any new one is made."""
    pool = Counted(max_size=3)
    pool.put(pool.get())
    assert pool.get() == 1
    assert pool.current_size == 1


def test_get_waits_for_a_put_when_max_size_items_are_out(virtual_clock):
    """At max_size, get() waits until an item is put back, and gets that item."""
    pool = Counted(max_size=1)
    held = pool.get()
    getter = proc.spawn(pool.get)
    api.sleep(1)
    assert pool.waiting() == 1
    pool.put(held)
    assert getter.wait() == held
    assert pool.waiting() == 0


def test_free_items_go_round_robin_by_default(virtual_clock):
    """By default the least recently returned item comes out first."""
    pool = Counted(min_size=2, max_size=2)
    first, second = pool.get(), pool.get()
    pool.put(first)
    pool.put(second)
    assert pool.get() == first


def test_order_as_stack_hands_out_the_last_returned_item(virtual_clock):
    """order_as_stack=True hands out the most recently returned item first."""
    pool = Counted(min_size=2, max_size=2, order_as_stack=True)
    first, second = pool.get(), pool.get()
    pool.put(first)
    pool.put(second)
    assert pool.get() == second


def test_item_context_manager_gives_the_item_back(virtual_clock):
    """with pool.item() as thing: takes an item and puts it back, even on an error."""
    pool = Counted(max_size=1)
    with pytest.raises(KeyError), pool.item() as thing:
        assert pool.free() == 0
        raise KeyError(thing)
    assert pool.free() == 1
    assert pool.get() == thing


def test_resize_smaller_drops_surplus_items_as_they_come_back(virtual_clock):
    """After resize() below current_size, returned items are dropped until it fits."""
    pool = Counted(max_size=2)
    a, b = pool.get(), pool.get()
    pool.resize(1)
    pool.put(a)
    assert (pool.current_size, pool.free()) == (1, 0)
    pool.put(b)
    assert (pool.current_size, pool.free()) == (1, 1)


def test_create_must_be_overridden():
    """A plain Pool cannot make items: NotImplementedError says to override create()."""
    with pytest.raises(NotImplementedError, match="override create"):
        pools.Pool(min_size=1)


def test_min_size_above_max_size_is_refused():
    """min_size > max_size is a ValueError naming both."""
    with pytest.raises(ValueError, match="min_size"):
        Counted(min_size=3, max_size=2)


def test_token_pool_limits_holders(virtual_clock):
    """TokenPool hands out at most max_size Token objects at once."""
    pool = pools.TokenPool(max_size=2)
    tokens = [pool.get(), pool.get()]
    assert all(isinstance(token, pools.Token) for token in tokens)
    assert tokens[0] is not tokens[1]
    assert pool.free() == 0


def test_get_interrupted_after_an_item_was_handed_to_it_loses_nothing(virtual_clock):
    """An item handed to a getter killed before it resumed stays in the pool."""
    pool = Counted(max_size=1)
    held = pool.get()
    getter = proc.spawn(pool.get)
    api.sleep(0)
    # The kill reaches the getter on the same turn as the item, before it resumes.
    api.get_hub().schedule_soon(getter.throw, proc.ProcExit())
    pool.put(held)
    api.sleep(0)
    assert getter.exit_reason is proc.ExitReason.KILLED
    assert pool.free() == 1
    assert pool.get() == held


def test_fan_returns_block_results_in_input_order(virtual_clock):
    """fan(block, inputs) runs block(item, input) for each input; results in input order."""
    pool = Counted(max_size=3)

    def block(item, value):
        api.sleep(3 - value)
        return value * 10

    assert pool.fan(block, [0, 1, 2]) == [0, 10, 20]
    assert pool.free() == 3


def test_fan_some_failed_carries_results_and_exceptions(virtual_clock):
    """If some blocks raise, SomeFailed carries the results with the exceptions in place."""
    pool = Counted(max_size=2)

    def block(item, value):
        if value:
            raise ValueError(value)
        return "ok"

    with pytest.raises(pools.SomeFailed) as caught:
        pool.fan(block, [0, 1])
    results = caught.value.args[0]
    assert results[0] == "ok"
    assert isinstance(results[1], ValueError)


def test_fan_all_failed(virtual_clock):
    """If every block raises, AllFailed is raised."""
    pool = Counted(max_size=2)

    def block(item, value):
        raise ValueError(value)

    with pytest.raises(pools.AllFailed):
        pool.fan(block, [0, 1])


def test_get_interrupted_while_waiting_leaves_the_pool_as_it_was(virtual_clock):
    """A get() that gives up while waiting takes nothing: a later put() keeps the item free."""
    pool = pools.TokenPool(max_size=1)
    pool.get()

    def give_up():
        with pytest.raises(RuntimeError):
            with api.timeout(0.1, RuntimeError()):
                pool.get()

    proc.spawn(give_up).wait()
    assert pool.waiting() == 0
    pool.put("wakeup")
    assert pool.get() == "wakeup"
