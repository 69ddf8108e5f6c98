using PatientStream.Analytics.Actors;

namespace PatientStream.Analytics.Tests.Actors;

public sealed class ActorRuntimeTests
{
    [Fact]
    public async Task Messages_of_one_patient_are_handled_in_order_one_at_a_time()
    {
        await using var harness = await RuntimeHarness.StartAsync();
        var runtime = harness.CreateRuntime(new ActorRuntimeOptions { MailboxCapacity = 8, Throughput = 3, SnapshotEvery = 16 });
        string[] keys = ["patient-a", "patient-b", "patient-c", "patient-d"];
        const int PerKey = 2_000;

        await Task.WhenAll(keys.Select(key => Task.Run(async () =>
        {
            for (var seq = 1; seq <= PerKey; seq++)
            {
                await runtime.SendAsync(key, new Probe(seq), harness.Deadline);
            }
        })));
        await runtime.StopAsync(harness.Deadline);

        foreach (var key in keys)
        {
            var (outOfOrder, seen) = await harness.StoredStateAsync(key);
            Assert.Equal(0, outOfOrder);
            Assert.Equal(Enumerable.Range(1, PerKey), seen);
        }
    }

    [Fact]
    public async Task A_full_mailbox_makes_the_sender_wait_until_there_is_room()
    {
        await using var harness = await RuntimeHarness.StartAsync();
        var runtime = harness.CreateRuntime(new ActorRuntimeOptions { MailboxCapacity = 2 });
        var started = new TaskCompletionSource();
        var gate = new TaskCompletionSource();

        await runtime.SendAsync("p", new Probe(1, Started: started, Gate: gate.Task), harness.Deadline);
        await started.Task.WaitAsync(harness.Deadline);
        await runtime.SendAsync("p", new Probe(2), harness.Deadline);
        await runtime.SendAsync("p", new Probe(3), harness.Deadline);
        var blocked = runtime.SendAsync("p", new Probe(4), harness.Deadline).AsTask();

        Assert.False(blocked.IsCompleted);
        gate.SetResult();
        await blocked.WaitAsync(harness.Deadline);
        var last = await harness.WaitHandledAsync("p", 4);
        Assert.Equal(4, last.Count);
    }

    [Fact]
    public async Task An_idle_actor_is_passivated_and_resumes_its_state_on_the_next_message()
    {
        await using var harness = await RuntimeHarness.StartAsync();
        var options = new ActorRuntimeOptions { IdleTimeout = TimeSpan.FromMinutes(10), PassivationSweepInterval = TimeSpan.FromMinutes(1) };
        var runtime = harness.CreateRuntime(options);
        await runtime.SendAsync("p", new Probe(1), harness.Deadline);
        await runtime.SendAsync("p", new Probe(2), harness.Deadline);
        await harness.WaitHandledAsync("p", 2);
        var first = await harness.Observer.WaitForAsync("activated", "p", harness.Deadline);
        Assert.False(Assert.Single(first).FromSnapshot);

        // A tick is not activity: it must not keep the actor alive.
        harness.Time.Advance(TimeSpan.FromMinutes(5));
        await runtime.SendAsync("p", new Probe(0, IsTick: true), harness.Deadline);
        harness.Time.Advance(TimeSpan.FromMinutes(6));
        await harness.Observer.WaitForAsync("passivated", "p", harness.Deadline);

        Assert.Equal(0, runtime.ActiveCount);
        Assert.Equal(1, runtime.Count);
        Assert.Equal(new[] { 1, 2 }, (await harness.StoredStateAsync("p")).Seen);

        await runtime.SendAsync("p", new Probe(3), harness.Deadline);
        var handled = await harness.WaitHandledAsync("p", 3);
        var reactivated = await harness.Observer.WaitForAsync("activated", "p", harness.Deadline);
        Assert.True(reactivated[^1].FromSnapshot);
        Assert.Equal(3, handled.Count);
    }

    [Fact]
    public async Task A_busy_actor_is_not_passivated()
    {
        await using var harness = await RuntimeHarness.StartAsync();
        var runtime = harness.CreateRuntime(new ActorRuntimeOptions { IdleTimeout = TimeSpan.FromMinutes(10) });
        for (var seq = 1; seq <= 5; seq++)
        {
            await runtime.SendAsync("p", new Probe(seq), harness.Deadline);
            await harness.WaitHandledAsync("p", seq);
            harness.Time.Advance(TimeSpan.FromMinutes(4));
        }

        // The sweep ran several times; a checkpoint request queued behind any passivation proves none happened.
        await runtime.CheckpointAsync(harness.Deadline);
        Assert.Equal(1, runtime.ActiveCount);
    }

    [Fact]
    public async Task A_throw_restarts_the_actor_from_its_snapshot_and_the_message_is_retried()
    {
        await using var harness = await RuntimeHarness.StartAsync();
        var runtime = harness.CreateRuntime(new ActorRuntimeOptions { SnapshotEvery = 4, MaxAttempts = 3 });

        for (var seq = 1; seq <= 6; seq++)
        {
            await runtime.SendAsync("p", new Probe(seq), harness.Deadline);
        }

        await runtime.SendAsync("p", new Probe(7, new FailureScript(2)), harness.Deadline);
        await runtime.SendAsync("p", new Probe(8), harness.Deadline);
        var handled = await harness.WaitHandledAsync("p", 8);
        await runtime.StopAsync(harness.Deadline);

        Assert.Equal(8, handled.Count);
        var (outOfOrder, seen) = await harness.StoredStateAsync("p");
        Assert.Equal(0, outOfOrder);
        Assert.Equal(Enumerable.Range(1, 8), seen);
        Assert.False(harness.DeadLetters.Reader.TryRead(out _));
        var events = await harness.Observer.WaitForAsync("retired", "p", harness.Deadline);
        Assert.Equal(2, events.Count(e => e.Kind == "restarted"));
    }

    [Fact]
    public async Task A_message_that_keeps_failing_is_dead_lettered_and_the_actor_goes_on()
    {
        await using var harness = await RuntimeHarness.StartAsync();
        var runtime = harness.CreateRuntime(new ActorRuntimeOptions { SnapshotEvery = 2, MaxAttempts = 3 });

        await runtime.SendAsync("p", new Probe(1), harness.Deadline);
        await runtime.SendAsync("p", new Probe(2), harness.Deadline);
        await runtime.SendAsync("p", new Probe(3), harness.Deadline);
        await runtime.SendAsync("p", new Probe(99, new FailureScript(int.MaxValue)), harness.Deadline);
        await runtime.SendAsync("p", new Probe(4), harness.Deadline);

        var letter = await harness.DeadLetters.Reader.ReadAsync(harness.Deadline);
        Assert.Equal(99, letter.Message.Seq);
        Assert.Equal(3, letter.Attempts);
        Assert.Equal("p", letter.Key);
        Assert.IsType<InvalidOperationException>(letter.Error);
        var handled = await harness.WaitHandledAsync("p", 4);
        Assert.Equal(4, handled.Count);
        await runtime.StopAsync(harness.Deadline);
        Assert.Equal(new[] { 1, 2, 3, 4 }, (await harness.StoredStateAsync("p")).Seen);
    }

    [Fact]
    public async Task Revoked_partitions_move_to_another_instance_without_lost_or_doubled_state()
    {
        await using var harness = await RuntimeHarness.StartAsync();
        var first = harness.CreateRuntime();
        var second = harness.CreateRuntime();
        first.OnPartitionsAssigned([0, 1]);
        string[] partition0 = ["p0-a", "p0-b"];
        string[] partition1 = ["p1-a", "p1-b", "p1-c"];

        for (var seq = 1; seq <= 50; seq++)
        {
            foreach (var key in partition0)
            {
                await first.SendAsync(key, 0, new Probe(seq), harness.Deadline);
            }

            foreach (var key in partition1)
            {
                await first.SendAsync(key, 1, new Probe(seq), harness.Deadline);
            }
        }

        // Revocation handles what was accepted before it returns: nothing may still be in flight.
        await first.OnPartitionsRevokedAsync([1], harness.Deadline);
        Assert.Equal([0], first.OwnedPartitions);
        Assert.Equal(partition0.Length, first.Count);
        second.OnPartitionsAssigned([1]);

        for (var seq = 51; seq <= 80; seq++)
        {
            foreach (var key in partition1)
            {
                await second.SendAsync(key, 1, new Probe(seq), harness.Deadline);
            }

            foreach (var key in partition0)
            {
                await first.SendAsync(key, 0, new Probe(seq), harness.Deadline);
            }
        }

        await first.StopAsync(harness.Deadline);
        await second.StopAsync(harness.Deadline);

        foreach (var key in partition0.Concat(partition1))
        {
            var (outOfOrder, seen) = await harness.StoredStateAsync(key);
            Assert.Equal(0, outOfOrder);
            Assert.Equal(Enumerable.Range(1, 80), seen);
        }
    }

    [Fact]
    public async Task A_stopped_runtime_refuses_messages_with_a_stable_code()
    {
        await using var harness = await RuntimeHarness.StartAsync();
        var runtime = harness.CreateRuntime();
        await runtime.StopAsync(harness.Deadline);

        var error = await Assert.ThrowsAsync<ActorRuntimeException>(async () => await runtime.SendAsync("p", new Probe(1), harness.Deadline));
        Assert.Equal(ActorRuntimeException.StoppedCode, error.Code);
    }

    [Fact]
    public void Invalid_options_fail_at_start()
    {
        var result = new ActorRuntimeOptionsValidator().Validate(null, new ActorRuntimeOptions { MailboxCapacity = 0, MaxAttempts = 0 });

        Assert.True(result.Failed);
        Assert.Equal(2, result.Failures!.Count());
    }

    [Fact]
    public async Task A_checkpoint_that_cannot_be_stored_fails_its_caller_instead_of_hanging()
    {
        await using var harness = await RuntimeHarness.StartAsync();
        var runtime = harness.CreateRuntime();
        await runtime.SendAsync("p", new Probe(1), harness.Deadline);
        await harness.WaitHandledAsync("p", 1);
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={harness.StorePath}"))
        {
            await connection.OpenAsync(harness.Deadline);
            var command = connection.CreateCommand();
            command.CommandText = "DROP TABLE actor_snapshots;";
            await command.ExecuteNonQueryAsync(harness.Deadline);
        }

        await Assert.ThrowsAsync<Microsoft.Data.Sqlite.SqliteException>(() => runtime.CheckpointAsync(harness.Deadline));

        await runtime.SendAsync("p", new Probe(2), harness.Deadline);
        Assert.Equal(2, (await harness.WaitHandledAsync("p", 2)).Count);

        // Once the store works again, so do checkpoints, with nothing lost in between.
        await SqliteSnapshotStore.OpenAsync(harness.StorePath, harness.Deadline);
        await runtime.CheckpointAsync(harness.Deadline);
        Assert.Equal(new[] { 1, 2 }, (await harness.StoredStateAsync("p")).Seen);
    }

    [Fact]
    public async Task Passivation_cycles_and_races_with_the_next_burst_lose_and_reorder_nothing()
    {
        await using var harness = await RuntimeHarness.StartAsync();
        var runtime = harness.CreateRuntime(new ActorRuntimeOptions
        {
            MailboxCapacity = 4,
            SnapshotEvery = 8,
            IdleTimeout = TimeSpan.FromMinutes(10),
            PassivationSweepInterval = TimeSpan.FromMinutes(1),
        });
        const int Bursts = 200;
        const int PerBurst = 10;

        for (var burst = 0; burst < Bursts; burst++)
        {
            for (var i = 1; i <= PerBurst; i++)
            {
                await runtime.SendAsync("p", new Probe((burst * PerBurst) + i), harness.Deadline);
            }

            await harness.WaitHandledAsync("p", (burst + 1) * PerBurst);
            // The sweep asks for a passivation. Every other time the next burst's sends race it; otherwise a checkpoint
            // queued behind it lets it finish first, so the burst reactivates the actor from its snapshot.
            harness.Time.Advance(TimeSpan.FromMinutes(11));
            if (burst % 2 == 0)
            {
                await runtime.CheckpointAsync(harness.Deadline);
            }
        }

        await runtime.StopAsync(harness.Deadline);

        var (outOfOrder, seen) = await harness.StoredStateAsync("p");
        Assert.Equal(0, outOfOrder);
        Assert.Equal(Enumerable.Range(1, Bursts * PerBurst), seen);
        var passivations = 0;
        while (harness.Observer.Events.TryRead(out var e))
        {
            passivations += e.Kind == "passivated" ? 1 : 0;
        }

        Assert.InRange(passivations, Bursts / 2, Bursts);
    }
}
