using System.Diagnostics;
using Confluent.Kafka;
using PatientStream.Kafka;

namespace PatientStream.Bench.Kafka;

/// <summary>
/// Our producer and consumer loop against raw librdkafka (Confluent.Kafka used directly) on the same mock cluster,
/// same record size and count, in the same run.
/// </summary>
/// <remarks>
/// librdkafka's mock cluster keeps only about 5 MB per partition and deletes the oldest records beyond that. At 200,000
/// records a topic's busiest partition passed the cap, the consumers waited for records that no longer existed and
/// the run hung: records without a key go to one partition at a time (the sticky partitioner), so one partition took
/// over a third of them. Records now carry one of <see cref="Keys"/> keys, as production records carry the patient
/// id, which spreads them evenly; the full run produces 80,000 (about 20,000 per partition, under half the cap),
/// and both consume phases check the log start offsets first and fail loudly if the cluster dropped anything.
/// </remarks>
internal sealed class KafkaBenchmark : IBenchmark
{
    private const int RecordBytes = 100;
    private const int Keys = 1_024;
    private static readonly string[] KeyNames = [.. Enumerable.Range(0, Keys).Select(k => $"patient-{k}")];

    public string Name => "kafka";

    public async Task<IReadOnlyList<BenchResult>> RunAsync(BenchSettings settings, CancellationToken cancellationToken)
    {
        var count = settings.Scale(80_000, 20_000);
        using var cluster = EmbeddedKafkaCluster.Start();
        var options = cluster.Options("bench");
        var payload = new byte[RecordBytes];
        Random.Shared.NextBytes(payload);

        var rawTopic = $"bench.raw.{Guid.NewGuid():N}";
        var ourTopic = $"bench.ours.{Guid.NewGuid():N}";
        var rawProduce = RawProduce(cluster.BootstrapServers, rawTopic, payload, count);
        var ourProduce = await OurProduceAsync(options, ourTopic, payload, count, cancellationToken).ConfigureAwait(false);
        EnsureRetained(cluster.BootstrapServers, rawTopic, count);
        var rawConsume = RawConsume(cluster.BootstrapServers, rawTopic, count, cancellationToken);
        EnsureRetained(cluster.BootstrapServers, ourTopic, count);
        var ourConsume = await OurConsumeAsync(options, ourTopic, count, cancellationToken).ConfigureAwait(false);

        return
        [
            new BenchResult("kafka produce (idempotent, acks=all, 100 B)", ourProduce, "msgs/s", "raw librdkafka produce", rawProduce, "≥ 0.8 × baseline", ourProduce >= 0.8 * rawProduce),
            new BenchResult("kafka consume (consumer loop, commit per batch)", ourConsume, "msgs/s", "raw librdkafka consume", rawConsume, "≥ 0.5 × baseline", ourConsume >= 0.5 * rawConsume),
        ];
    }

    /// <summary>Fails when the topic no longer holds all <paramref name="count"/> records (see the remarks above).</summary>
    internal static void EnsureRetained(string bootstrap, string topic, long count)
    {
        var config = new ConsumerConfig { BootstrapServers = bootstrap, GroupId = $"watermarks-{Guid.NewGuid():N}" };
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(config).Build();
        long held = 0, dropped = 0;
        for (var partition = 0; partition < EmbeddedKafkaCluster.DefaultPartitions; partition++)
        {
            var marks = consumer.QueryWatermarkOffsets(new TopicPartition(topic, partition), TimeSpan.FromSeconds(30));
            held += marks.High.Value - marks.Low.Value;
            dropped += marks.Low.Value;
        }
        if (held != count)
        {
            throw new InvalidOperationException($"{topic} holds {held} of {count} records; the mock cluster dropped {dropped} (it caps each partition's log)");
        }
    }

    internal static double RawProduce(string bootstrap, string topic, byte[] payload, int count)
    {
        var config = new ProducerConfig { BootstrapServers = bootstrap, Acks = Acks.All, EnableIdempotence = true, LingerMs = 5, QueueBufferingMaxMessages = 101_000 };
        using var producer = new ProducerBuilder<string, byte[]>(config).Build();
        var failed = 0;
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            while (true)
            {
                try
                {
                    producer.Produce(topic, new Message<string, byte[]> { Key = KeyNames[i % Keys], Value = payload }, r => { if (r.Error.IsError) { Interlocked.Increment(ref failed); } });
                    break;
                }
                catch (ProduceException<string, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                {
                    producer.Flush(TimeSpan.FromMilliseconds(10));
                }
            }
        }
        var unsent = producer.Flush(TimeSpan.FromMinutes(2));
        watch.Stop();
        if (unsent > 0)
        {
            throw new InvalidOperationException($"{unsent} raw records still queued after 2 minutes");
        }
        return failed > 0 ? throw new InvalidOperationException($"{failed} raw deliveries failed") : count / watch.Elapsed.TotalSeconds;
    }

    private static async Task<double> OurProduceAsync(KafkaOptions options, string topic, byte[] payload, int count, CancellationToken cancellationToken)
    {
        using var producer = new KafkaProducer(options);
        var watch = Stopwatch.StartNew();
        var pending = new List<Task<DeliveryReport>>(count);
        for (var i = 0; i < count; i++)
        {
            pending.Add(producer.ProduceAsync(topic, KeyNames[i % Keys], payload, cancellationToken));
        }
        var reports = await Task.WhenAll(pending).ConfigureAwait(false);
        watch.Stop();
        var failed = reports.Count(r => !r.Delivered);
        return failed > 0 ? throw new InvalidOperationException($"{failed} deliveries failed") : count / watch.Elapsed.TotalSeconds;
    }

    internal static double RawConsume(string bootstrap, string topic, int count, CancellationToken cancellationToken)
    {
        var config = new ConsumerConfig { BootstrapServers = bootstrap, GroupId = $"raw-{Guid.NewGuid():N}", AutoOffsetReset = AutoOffsetReset.Earliest, EnableAutoCommit = true };
        using var consumer = new ConsumerBuilder<Ignore, byte[]>(config).Build();
        consumer.Subscribe(topic);
        var first = consumer.Consume(cancellationToken);
        var watch = Stopwatch.StartNew();
        var seen = first is null ? 0 : 1;
        while (seen < count)
        {
            if (consumer.Consume(cancellationToken) is not null)
            {
                seen++;
            }
        }
        watch.Stop();
        consumer.Close();
        return (count - 1) / watch.Elapsed.TotalSeconds;
    }

    private static async Task<double> OurConsumeAsync(KafkaOptions options, string topic, int count, CancellationToken cancellationToken)
    {
        using var producer = new KafkaProducer(options);
        var handler = new CountingHandler(count);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var loop = new ConsumerLoop(options, new ConsumerLoopOptions($"ours-{Guid.NewGuid():N}", [topic], "bench"), handler, producer);
        var running = loop.RunAsync(stop.Token);
        await handler.First.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        var watch = Stopwatch.StartNew();
        var firstBatch = handler.FirstBatchSize;
        await handler.Done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        watch.Stop();
        await stop.CancelAsync().ConfigureAwait(false);
        await running.ConfigureAwait(false);
        return (count - firstBatch) / watch.Elapsed.TotalSeconds;
    }

    private sealed class CountingHandler(int expected) : IRecordBatchHandler
    {
        private int _seen;

        public TaskCompletionSource First { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int FirstBatchSize { get; private set; }

        public Task<BatchOutcome> HandleAsync(IReadOnlyList<KafkaRecord> records, CancellationToken cancellationToken)
        {
            if (_seen == 0)
            {
                FirstBatchSize = records.Count;
                First.TrySetResult();
            }
            _seen += records.Count;
            if (_seen >= expected)
            {
                Done.TrySetResult();
            }
            return Task.FromResult(BatchOutcome.AllHandled);
        }
    }
}
