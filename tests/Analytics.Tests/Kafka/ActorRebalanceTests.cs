using System.Globalization;
using System.Text;
using System.Threading.Channels;
using PatientStream.Analytics.Actors;
using PatientStream.Analytics.Kafka;
using PatientStream.Analytics.Tests.Actors;
using PatientStream.Kafka;
using PatientStream.Testing;

namespace PatientStream.Analytics.Tests.Kafka;

[Collection(KafkaTestGroup.Name)]
public sealed class ActorRebalanceTests(KafkaFixture kafka)
{
    private const int Patients = 12;

    private static bool Decode(KafkaRecord record, out Probe message, out string? error)
    {
        if (int.TryParse(Encoding.UTF8.GetString(record.Value), NumberStyles.None, CultureInfo.InvariantCulture, out var seq))
        {
            message = new Probe(seq, Offset: record.Offset);
            error = null;
            return true;
        }

        message = null!;
        error = "not a sequence number";
        return false;
    }

    private sealed class Member : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _run;

        public Member(KafkaFixture kafka, string topic, string group, SqliteSnapshotStore store, ChannelWriter<Handled> log, KafkaProducer dlq, string name)
        {
            Runtime = new ActorRuntime<Probe>(key => new SequenceActor(key, log), store, (_, _) => ValueTask.CompletedTask, new ActorRuntimeOptions(), observer: Observer);
            var handler = new AssignmentSignal(new ActorRecordHandler<Probe>(Runtime, Decode), Assignments.Writer);
            Loop = new ConsumerLoop(kafka.Options(name), new ConsumerLoopOptions(group, [topic], "analytics-test"), handler, dlq);
            _run = Loop.RunAsync(_stop.Token);
        }

        public ActorRuntime<Probe> Runtime { get; }

        public ConsumerLoop Loop { get; }

        public RecordingObserver Observer { get; } = new();

        public Channel<int> Assignments { get; } = Channel.CreateUnbounded<int>();

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _run;
            await Runtime.DisposeAsync();
            _stop.Dispose();
        }
    }

    /// <summary>Passes everything on and reports how many partitions each assignment gave.</summary>
    private sealed class AssignmentSignal(IRecordBatchHandler inner, ChannelWriter<int> assignments) : IRecordBatchHandler
    {
        public Task<BatchOutcome> HandleAsync(IReadOnlyList<KafkaRecord> records, CancellationToken cancellationToken) =>
            inner.HandleAsync(records, cancellationToken);

        public async Task OnPartitionsAssignedAsync(IReadOnlyList<PartitionRef> partitions, CancellationToken cancellationToken)
        {
            await inner.OnPartitionsAssignedAsync(partitions, cancellationToken);
            assignments.TryWrite(partitions.Count);
        }

        public Task OnPartitionsRevokedAsync(IReadOnlyList<PartitionRef> partitions, CancellationToken cancellationToken) =>
            inner.OnPartitionsRevokedAsync(partitions, cancellationToken);
    }

    [Fact]
    public async Task Patients_move_between_two_consumer_instances_without_lost_or_doubled_state()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        using var folder = new Support.TempFolder();
        var store = await SqliteSnapshotStore.OpenAsync(folder.File("snapshots.db"), deadline.Token);
        var topic = KafkaFixture.UniqueTopic("analytics");
        var group = $"g-{Guid.NewGuid():N}";
        var log = Channel.CreateUnbounded<Handled>();
        using var producer = new KafkaProducer(kafka.Options("producer"));
        var keys = Enumerable.Range(0, Patients).Select(i => $"patient-{i}").ToArray();

        async Task ProduceAsync(int fromSeq, int toSeq)
        {
            for (var seq = fromSeq; seq <= toSeq; seq++)
            {
                foreach (var key in keys)
                {
                    var report = await producer.ProduceAsync(topic, key, Encoding.UTF8.GetBytes(seq.ToString(CultureInfo.InvariantCulture)), deadline.Token);
                    Assert.True(report.Delivered, report.Failure?.Reason);
                }
            }
        }

        async Task WaitUntilAllReachAsync(int seq)
        {
            var reached = new HashSet<string>();
            while (reached.Count < keys.Length)
            {
                var handled = await log.Reader.ReadAsync(deadline.Token);
                if (handled.Seq == seq)
                {
                    reached.Add(handled.Key);
                }
            }
        }

        await ProduceAsync(1, 20);
        var first = new Member(kafka, topic, group, store, log.Writer, producer, "first");
        await using (first)
        {
            await WaitUntilAllReachAsync(20);

            var second = new Member(kafka, topic, group, store, log.Writer, producer, "second");
            await using (second)
            {
                // Eager rebalancing: the first member gave everything back (snapshots persisted) before the second got its share.
                while (await second.Assignments.Reader.ReadAsync(deadline.Token) == 0)
                {
                }

                await ProduceAsync(21, 40);
                await WaitUntilAllReachAsync(40);

                var moved = new List<Lifecycle>();
                while (second.Observer.Events.TryRead(out var e))
                {
                    moved.Add(e);
                }

                // The second instance took over patients the first had built up, from their snapshots.
                Assert.Contains(moved, e => e.Kind == "activated" && e.FromSnapshot);
            }
        }

        foreach (var key in keys)
        {
            var snapshot = await store.LoadAsync(key, deadline.Token);
            Assert.NotNull(snapshot);
            var (outOfOrder, seen) = SequenceActor.Decode(snapshot.Data.Span);
            Assert.Equal(0, outOfOrder);
            Assert.Equal(Enumerable.Range(1, 40), seen);
        }
    }
}
