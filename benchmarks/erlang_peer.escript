#!/usr/bin/env escript
%%! -noshell
%% Erlang/OTP peer of bench_actors.py: the same four shapes, on BEAM processes.
%%
%%   escript benchmarks/erlang_peer.escript N REPEAT
%%
%% prints one JSON line: best-of-REPEAT microseconds per operation (spawn+join,
%% ping-pong, gen_server:call), restarts per second, and the spread of each
%% measure (worst / best). Every run checks its result, as the Python side does.
-mode(compile).
-behaviour(gen_server).
-export([init/1, handle_call/3, handle_cast/2, crasher_start/1]).

main([NArg, RepeatArg]) ->
    N = list_to_integer(NArg),
    Repeat = list_to_integer(RepeatArg),
    %% Crash reports are the point of logs, but 100k of them would measure the
    %% terminal: the Python side filters them too.
    ok = logger:set_primary_config(level, none),
    Expected = N * (N - 1) div 2,
    SpawnJoin = per_op(Repeat, N, fun() -> check(spawn_join(N), Expected) end),
    PingPong = per_op(Repeat, N, fun() -> check(ping_pong(N), Expected) end),
    Call = per_op(Repeat, N, fun() -> check(call(N), Expected) end),
    Restarts = restarts(Repeat, N),
    io:format(
        "{\"otp\": \"~s\", \"results\": {\"spawn+join\": ~f, \"ping-pong\": ~f, "
        "\"actor call\": ~f, \"restarts\": ~f}, \"spread\": {\"spawn+join\": ~f, "
        "\"ping-pong\": ~f, \"actor call\": ~f, \"restarts\": ~f}}~n",
        [erlang:system_info(otp_release), best(SpawnJoin), best(PingPong), best(Call),
         lists:max(Restarts), spread(SpawnJoin), spread(PingPong), spread(Call),
         spread(Restarts)]
    );
main(_) ->
    io:format(standard_error, "usage: erlang_peer.escript N REPEAT~n", []),
    halt(2).

best(Values) -> lists:min(Values).

spread(Values) -> lists:max(Values) / lists:min(Values).

check(Result, Expected) when Result =:= Expected -> ok;
check(Result, Expected) -> error({wrong_result, Result, Expected}).

%% Microseconds per operation of each of Repeat runs of Fun (N operations each),
%% after one warm-up run.
per_op(Repeat, N, Fun) ->
    Fun(),
    [begin
         garbage_collect(),
         {Micros, ok} = timer:tc(Fun),
         Micros / N
     end
     || _ <- lists:seq(1, Repeat)].

%% spawn N processes returning their argument, join them in spawn order.
spawn_join(N) ->
    Parent = self(),
    Pids = [spawn(fun() -> Parent ! {self(), I} end) || I <- lists:seq(0, N - 1)],
    lists:sum([receive {Pid, V} -> V end || Pid <- Pids]).

%% A pinger sends I to a ponger, which sends it back, N times.
ping_pong(N) ->
    Ponger = spawn(fun pong/0),
    Total = ping(Ponger, 0, N, 0),
    Ponger ! stop,
    Total.

ping(_Ponger, N, N, Total) -> Total;
ping(Ponger, I, N, Total) ->
    Ponger ! {self(), I},
    receive {pong, V} -> ping(Ponger, I + 1, N, Total + V) end.

pong() ->
    receive
        {From, V} -> From ! {pong, V}, pong();
        stop -> ok
    end.

%% gen_server:call round trips to a server that replies with the request.
call(N) ->
    {ok, Server} = gen_server:start(?MODULE, [], []),
    Total = lists:foldl(fun(I, Acc) -> Acc + gen_server:call(Server, I) end, 0, lists:seq(0, N - 1)),
    gen_server:stop(Server),
    Total.

init([]) -> {ok, nostate}.
handle_call(Request, _From, State) -> {reply, Request, State}.
handle_cast(_Message, State) -> {noreply, State}.

%% Restarts per second of a one_for_one child that exits as soon as it starts
%% (at most 5,000 restarts a run: OTP restarts a few thousand a second).
restarts(Repeat, N) ->
    restart_rate(min(N, 500)),
    [restart_rate(min(N, 5000)) || _ <- lists:seq(1, Repeat)].

restart_rate(N) ->
    Counter = counters:new(1, []),
    Flags = #{strategy => one_for_one, intensity => 1000000000, period => 1},
    Child = #{id => crasher, start => {?MODULE, crasher_start, [Counter]}},
    Start = erlang:monotonic_time(microsecond),
    {ok, Sup} = supervisor:start_link({local, bench_sup}, sup_module(), {Flags, [Child]}),
    wait_restarts(Counter, N),
    Elapsed = erlang:monotonic_time(microsecond) - Start,
    Restarts = counters:get(Counter, 1) - 1,
    unlink(Sup),
    exit(Sup, shutdown),
    wait_down(Sup),
    Restarts / (Elapsed / 1.0e6).

crasher_start(Counter) ->
    counters:add(Counter, 1, 1),
    {ok, spawn_link(fun() -> exit(crash) end)}.

wait_restarts(Counter, N) ->
    case counters:get(Counter, 1) > N of
        true -> ok;
        false -> receive after 1 -> wait_restarts(Counter, N) end
    end.

wait_down(Pid) ->
    Ref = monitor(process, Pid),
    receive {'DOWN', Ref, process, Pid, _} -> ok end.

%% supervisor needs a callback module with init/1 returning the flags and the
%% children; this escript's module already has a gen_server init/1, so a tiny
%% module is compiled from forms at run time.
sup_module() ->
    case code:is_loaded(bench_sup_cb) of
        {file, _} -> bench_sup_cb;
        false ->
            Forms = [
                {attribute, 1, module, bench_sup_cb},
                {attribute, 2, export, [{init, 1}]},
                {function, 3, init, 1,
                 [{clause, 3, [{var, 3, 'Spec'}], [], [{tuple, 3, [{atom, 3, ok}, {var, 3, 'Spec'}]}]}]}
            ],
            {ok, bench_sup_cb, Binary} = compile:forms(Forms),
            {module, bench_sup_cb} = code:load_binary(bench_sup_cb, "bench_sup_cb.erl", Binary),
            bench_sup_cb
    end.
