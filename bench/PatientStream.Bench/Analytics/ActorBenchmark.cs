namespace PatientStream.Bench.Analytics;

/// <summary>Actor messages/s at 10,000 and 100,000 live patients next to one bare bounded channel; memory per idle actor.</summary>
internal sealed class ActorBenchmark : IBenchmark
{
    public string Name => "analytics-actors";

    public async Task<IReadOnlyList<BenchResult>> RunAsync(BenchSettings settings, CancellationToken cancellationToken)
    {
        var perActor = settings.Scale(200, 20);
        // Memory first, while the heap holds nothing from the throughput runs.
        var memory = await IdleMemoryRowAsync(cancellationToken).ConfigureAwait(false);
        var baseline = await ActorBenchmarks.ChannelBaselineAsync(settings.Scale(20_000_000, 2_000_000), cancellationToken).ConfigureAwait(false);
        var results = new List<BenchResult>();
        foreach (var actors in new[] { 10_000, 100_000 })
        {
            var figures = await ActorBenchmarks.ThroughputAsync(actors, actors == 10_000 ? perActor * 10 : perActor, producers: 2, cancellationToken).ConfigureAwait(false);
            results.Add(new BenchResult($"actor messages, {actors:N0} live actors", figures.MessagesPerSecond, "msgs/s",
                "one bounded channel, 1 writer → 1 reader", baseline.MessagesPerSecond, "≥ 5,000,000 msgs/s", figures.MessagesPerSecond >= 5_000_000));
            results.Add(new BenchResult($"actor messages per CPU-second, {actors:N0} live actors", figures.MessagesPerCpuSecond, "msgs/CPU-s",
                "one bounded channel, 1 writer → 1 reader", baseline.MessagesPerCpuSecond, null, null));
        }
        results.Add(memory);
        return results;
    }

    private static async Task<BenchResult> IdleMemoryRowAsync(CancellationToken cancellationToken)
    {
        // Fewer actors make the heap difference noise-dominated, so even quick runs passivate 20,000.
        var idle = await ActorBenchmarks.IdleMemoryAsync(20_000, cancellationToken).ConfigureAwait(false);
        return new BenchResult("memory per idle patient actor (snapshot kept, mailbox released)", idle.BytesPerIdleActor, "bytes", null, null,
            "≤ 2,048 bytes", idle.BytesPerIdleActor <= 2048);
    }
}
