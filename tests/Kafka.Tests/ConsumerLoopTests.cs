using System.Text;
using System.Threading.Channels;
using PatientStream.Kafka.Contracts;
using PatientStream.Testing;

namespace PatientStream.Kafka.Tests;

[Collection(KafkaTestGroup.Name)]
public sealed class ConsumerLoopTests(KafkaFixture kafka)
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Produced_readings_reach_the_consumer_intact_and_in_order_per_key()
    {
        var topic = KafkaFixture.UniqueTopic();
        using var producer = new KafkaProducer(kafka.Options("producer"));
        var readings = Enumerable.Range(0, 30).Select(i => Reading($"Patient/{i % 3}", seq: i)).ToList();
        foreach (var reading in readings)
        {
            var report = await producer.ProduceAsync(topic, reading.Patient, ContractsJson.Serialize(reading), CancellationToken.None);
            Assert.True(report.Delivered, report.Failure?.Reason);
        }

        var handler = new RecordingHandler();
        await using var run = Start(handler, topic, producer);
        var received = await handler.Handled.ReadManyAsync(30, s_deadline);

        var parsed = received.Select(r =>
        {
            Assert.True(ContractsJson.TryParse(r.Value, out RawReading? reading, out var error), error);
            Assert.Equal(reading!.Patient, r.Key);
            return reading;
        }).ToList();
        Assert.Equal(readings.Select(r => (r.Patient, r.Batch.Seq)).Order(), parsed.Select(r => (r.Patient, r.Batch.Seq)).Order());
        foreach (var group in parsed.GroupBy(r => r.Patient))
        {
            var seqs = group.Select(r => r.Batch.Seq).ToList();
            Assert.Equal(seqs.Order(), seqs);
        }
        foreach (var record in received)
        {
            Assert.True(ContractsJson.TryParse(record.Value, out RawReading? reading, out _));
            Assert.Equal(ContractsJson.Serialize(readings[(int)reading!.Batch.Seq]), record.Value);
        }
    }

    [Fact]
    public async Task Two_members_split_the_partitions_and_the_survivor_takes_all_when_one_leaves()
    {
        var topic = KafkaFixture.UniqueTopic();
        using var producer = new KafkaProducer(kafka.Options("producer"));
        // The mock cluster creates the topic (4 partitions) on first use.
        Assert.True((await producer.ProduceAsync(topic, "warm-up", [1], CancellationToken.None)).Delivered);
        var group = $"g-{Guid.NewGuid():N}";

        // Both members write into one channel, so the test reads what the group handled as a whole.
        var handled = Channel.CreateUnbounded<KafkaRecord>();
        var first = new RecordingHandler(handled);
        await using var firstRun = Start(first, topic, producer, group);
        await WaitForAssignmentAsync(firstRun, first, count: EmbeddedKafkaCluster.DefaultPartitions);
        await handled.Reader.ReadManyAsync(1, s_deadline);

        var second = new RecordingHandler(handled);
        var secondRun = Start(second, topic, producer, group);
        await WaitForAssignmentAsync(secondRun, second, count: 2);
        await WaitForAssignmentAsync(firstRun, first, count: 2);
        Assert.Empty(firstRun.Loop.Assignment.Intersect(secondRun.Loop.Assignment));

        for (var i = 0; i < 40; i++)
        {
            Assert.True((await producer.ProduceAsync(topic, $"key-{i}", Encoding.UTF8.GetBytes($"split-{i}"), CancellationToken.None)).Delivered);
        }
        var split = await handled.Reader.ReadManyAsync(40, s_deadline);
        Assert.Contains(split, r => firstRun.Loop.Assignment.Contains(r.PartitionRef));
        Assert.Contains(split, r => secondRun.Loop.Assignment.Contains(r.PartitionRef));
        Assert.Equal(40, split.Select(r => (r.Partition, r.Offset)).Distinct().Count());

        await secondRun.DisposeAsync();
        await WaitForAssignmentAsync(firstRun, first, count: EmbeddedKafkaCluster.DefaultPartitions);

        for (var i = 0; i < 20; i++)
        {
            Assert.True((await producer.ProduceAsync(topic, $"after-{i}", Encoding.UTF8.GetBytes($"after-{i}"), CancellationToken.None)).Delivered);
        }
        var after = new List<KafkaRecord>();
        while (after.Count < 20)
        {
            var record = (await handled.Reader.ReadManyAsync(1, s_deadline))[0];
            if (Encoding.UTF8.GetString(record.Value).StartsWith("after-", StringComparison.Ordinal))
            {
                after.Add(record);
            }
        }
        Assert.DoesNotContain(second.All, r => Encoding.UTF8.GetString(r.Value).StartsWith("after-", StringComparison.Ordinal));
        Assert.True(after.Select(r => r.Partition).Distinct().Count() > 2, "records after the rebalance come from the partitions both members had");
    }

    [Fact]
    public async Task Records_of_a_member_that_dies_before_committing_are_redelivered_to_the_next()
    {
        var topic = KafkaFixture.UniqueTopic();
        var group = $"g-{Guid.NewGuid():N}";
        using var producer = new KafkaProducer(kafka.Options("producer"));
        for (var i = 0; i < 12; i++)
        {
            Assert.True((await producer.ProduceAsync(topic, $"k{i}", Encoding.UTF8.GetBytes($"r{i}"), CancellationToken.None)).Delivered);
        }

        var dying = new RecordingHandler { HangOnFirstBatch = true };
        var dyingRun = Start(dying, topic, producer, group);
        await dying.FirstBatchStarted.Task.WaitAsync(s_deadline);
        await dyingRun.DisposeAsync();
        Assert.Equal(0, dyingRun.Loop.Commits);
        Assert.Empty(dying.All);

        var next = new RecordingHandler();
        await using var nextRun = Start(next, topic, producer, group);
        var redelivered = await next.Handled.ReadManyAsync(12, s_deadline);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => $"r{i}").Order(), redelivered.Select(r => Encoding.UTF8.GetString(r.Value)).Order());
    }

    [Fact]
    public async Task A_poison_record_goes_to_the_dead_letter_topic_with_its_reason_and_the_partition_moves_on()
    {
        var topic = KafkaFixture.UniqueTopic();
        var dlq = KafkaFixture.UniqueTopic("dlq");
        using var producer = new KafkaProducer(kafka.Options("producer"));
        string[] values = ["ok-1", "poison", "ok-2", "rejected", "ok-3"];
        var offsets = new Dictionary<string, long>();
        foreach (var value in values)
        {
            // One key: one partition, so the good records behind the poison one would be blocked if it stuck.
            var report = await producer.ProduceAsync(topic, "patient-7", Encoding.UTF8.GetBytes(value), CancellationToken.None);
            offsets[value] = report.Offset;
        }

        var handler = new RecordingHandler
        {
            Throws = r => Encoding.UTF8.GetString(r.Value) == "poison",
            Rejects = r => Encoding.UTF8.GetString(r.Value) == "rejected" ? "unit not convertible" : null,
        };
        await using var run = Start(handler, topic, producer, dlq: dlq);
        var handled = await handler.Handled.ReadManyAsync(3, s_deadline);
        Assert.Equal(["ok-1", "ok-2", "ok-3"], handled.Select(r => Encoding.UTF8.GetString(r.Value)));

        var letters = new RecordingHandler();
        await using var dlqRun = Start(letters, dlq, producer);
        var dead = (await letters.Handled.ReadManyAsync(2, s_deadline))
            .Select(r => ContractsJson.TryParse(r.Value, out DeadLetter? letter, out _) ? letter! : throw new InvalidOperationException("bad dead letter"))
            .OrderBy(l => l.SourceOffset)
            .ToList();
        Assert.Equal(offsets["poison"], dead[0].SourceOffset);
        Assert.Equal("poison", dead[0].Value);
        Assert.Contains("cannot handle", dead[0].Reason, StringComparison.Ordinal);
        Assert.Equal(topic, dead[0].SourceTopic);
        Assert.Equal("patient-7", dead[0].Key);
        Assert.Equal(offsets["rejected"], dead[1].SourceOffset);
        Assert.Equal("unit not convertible", dead[1].Reason);
        Assert.All(dead, l => Assert.Equal("test-stage", l.Stage));
        Assert.Equal(2, run.Loop.DeadLettered);
    }

    [Fact]
    public async Task Producer_pushes_back_instead_of_failing_when_its_queue_is_full()
    {
        var topic = KafkaFixture.UniqueTopic();
        using var producer = new KafkaProducer(kafka.Options("producer") with { MaxQueuedMessages = 8, LingerMs = 0 });
        var sends = Enumerable.Range(0, 2_000)
            .Select(i => producer.ProduceAsync(topic, $"k{i % 10}", BitConverter.GetBytes(i), CancellationToken.None))
            .ToList();
        var reports = await Task.WhenAll(sends).WaitAsync(s_deadline);
        Assert.All(reports, r => Assert.True(r.Delivered, r.Failure?.Reason));
        Assert.Equal(2_000, producer.Delivered);
        Assert.Equal(0, producer.Failed);
    }

    private static RawReading Reading(string patient, long seq) => new()
    {
        Device = "dev-1",
        Patient = patient,
        Received = new DateTimeOffset(2026, 11, 21, 10, 0, 5, TimeSpan.Zero),
        Consent = new ConsentStamp("permit", null, ["Consent/c1"]),
        Batch = new DeviceBatch
        {
            Device = "dev-1",
            Seq = seq,
            Sent = new DateTimeOffset(2026, 11, 21, 10, 0, 5, 120, TimeSpan.Zero),
            Samples = [new Sample { Type = "heart-rate", Time = new DateTimeOffset(2026, 11, 21, 10, 0, 4, TimeSpan.Zero), Value = 60 + seq, Unit = "/min" }],
        },
    };

    private LoopRun Start(RecordingHandler handler, string topic, KafkaProducer producer, string? group = null, string? dlq = null)
    {
        var options = new ConsumerLoopOptions(group ?? $"g-{Guid.NewGuid():N}", [topic], "test-stage")
        {
            MaxAttempts = 2,
            RetryBackoff = TimeSpan.FromMilliseconds(10),
            DeadLetterTopic = dlq ?? KafkaTopics.ReadingsDlq,
        };
        var loop = new ConsumerLoop(kafka.Options("consumer"), options, handler, producer);
        var cts = new CancellationTokenSource();
        return new LoopRun(loop, loop.RunAsync(cts.Token), cts);
    }

    private static async Task WaitForAssignmentAsync(LoopRun run, RecordingHandler handler, int count)
    {
        using var cts = new CancellationTokenSource(s_deadline);
        while (run.Loop.Assignment.Count != count)
        {
            await handler.Assigned.ReadAsync(cts.Token);
        }
    }

    private sealed record LoopRun(ConsumerLoop Loop, Task Running, CancellationTokenSource Stop) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Stop.CancelAsync();
            await Running;
            Stop.Dispose();
        }
    }
}
