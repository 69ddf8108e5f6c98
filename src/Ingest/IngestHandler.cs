using PatientStream.Ingest.Cleaning;
using PatientStream.Ingest.Influx;
using PatientStream.Ingest.Mapping;
using PatientStream.Ingest.State;
using PatientStream.Ingest.Summaries;
using PatientStream.Kafka;
using PatientStream.Kafka.Contracts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace PatientStream.Ingest;

/// <summary>
/// The ingest stage on <c>ps.readings.raw</c>: parse, dedupe, clean, route late samples, write InfluxDB and the other
/// sinks, dead-letter every refused sample with its reason, and only then record dedupe state and return, so the
/// consumer loop commits offsets after every effect is durable. A crash anywhere before that redelivers the batch;
/// every sink is idempotent, so the replay duplicates nothing.
/// </summary>
public sealed class IngestHandler : IRecordBatchHandler
{
    private readonly IngestOptions _options;
    private readonly SampleCleaner _cleaner;
    private readonly MeasurementCalculator _calculator;
    private readonly IngestStateStore _state;
    private readonly SeriesGate _gate;
    private readonly IInfluxWriter? _influx;
    private readonly IReadOnlyList<ICleanSampleSink> _sinks;
    private readonly IDeadLetterWriter _deadLetters;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private DateTimeOffset _nextPrune;

    /// <param name="influx">The raw-series writer; null when raw series are off (no InfluxDB): the other sinks still run.</param>
    public IngestHandler(IngestOptions options, IngestStateStore state, IInfluxWriter? influx, IDeadLetterWriter deadLetters,
        IReadOnlyList<ICleanSampleSink>? sinks = null, SampleCleaner? cleaner = null, ILogger<IngestHandler>? logger = null,
        TimeProvider? time = null, MeasurementCalculator? calculator = null)
    {
        _options = IngestOptionsValidator.EnsureValid(options);
        _state = state ?? throw new ArgumentNullException(nameof(state));
        _influx = influx;
        _deadLetters = deadLetters ?? throw new ArgumentNullException(nameof(deadLetters));
        _sinks = sinks ?? [];
        _cleaner = cleaner ?? new SampleCleaner(options);
        _calculator = calculator ?? MeasurementCalculator.None;
        _gate = new SeriesGate(state, options.AllowedLateness);
        _logger = logger ?? NullLogger<IngestHandler>.Instance;
        _time = time ?? TimeProvider.System;
        _nextPrune = _time.GetUtcNow();
    }

    public IngestCounters Counters { get; } = new();

    public async Task<BatchOutcome> HandleAsync(IReadOnlyList<KafkaRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        var started = _time.GetTimestamp();
        var changes = new StateChanges();
        var rejectedRecords = new List<RejectedRecord>();
        var accepted = new List<Routed>();
        var refused = new List<(Routed Sample, string Topic, string Reason)>();
        var batchSamples = new List<(CleanSample Sample, int Index)>();
        var duplicateBatches = 0;
        var duplicateSamples = 0;
        foreach (var record in records)
        {
            if (Parse(record) is not { } reading)
            {
                rejectedRecords.Add(new RejectedRecord(record, ParseFailure(record)));
                continue;
            }
            if (!_gate.AdmitBatch(changes, reading.Device, reading.Batch.Seq))
            {
                duplicateBatches++;
                continue;
            }
            var clean = _cleaner.Clean(reading);
            foreach (var rejection in clean.Rejected)
            {
                refused.Add((new Routed(record, reading, rejection.Index, null), _options.DeadLetterTopic, rejection.Reason));
            }
            var rejectedIndexes = clean.Rejected.Select(r => r.Index).ToHashSet();
            var next = 0;
            batchSamples.Clear();
            foreach (var sample in clean.Accepted)
            {
                // Accepted samples keep batch order, so each one's index is the next one the cleaner did not reject.
                while (rejectedIndexes.Contains(next))
                {
                    next++;
                }
                batchSamples.Add((sample, next++));
            }
            // Calculated measurements go through dedupe and lateness like measured ones, under their own series.
            _calculator.AppendCalculated(batchSamples);
            foreach (var (sample, index) in batchSamples)
            {
                var (verdict, judged) = _gate.Admit(changes, sample);
                switch (verdict)
                {
                    case GateVerdict.Duplicate:
                        duplicateSamples++;
                        break;
                    case GateVerdict.TooLate:
                        refused.Add((new Routed(record, reading, index, judged), _options.LateTopic,
                            $"{RejectCodes.TooLate}: {judged.Type.Name} sample arrived more than {_options.AllowedLateness:c} behind its series"));
                        break;
                    default:
                        accepted.Add(new Routed(record, reading, index, judged));
                        break;
                }
            }
        }

        var cleaned = _time.GetTimestamp();
        // The dedupe keys go into an open SQLite transaction while InfluxDB works; it commits only after every sink acknowledged.
        var now = _time.GetUtcNow();
        var staging = Task.Run(() => _state.Stage(changes, now), CancellationToken.None);
        IngestStateStore.StagedCommit? staged = null;
        List<Routed> stored;
        long written;
        try
        {
            stored = await WriteInfluxAsync(accepted, refused, cancellationToken).ConfigureAwait(false);
            written = _time.GetTimestamp();
            staged = await staging.ConfigureAwait(false);
            var samples = stored.ConvertAll(r => r.Sample!);
            var summaries = Summarise(samples, changes);
            foreach (var sink in _sinks)
            {
                await sink.WriteAsync(samples, cancellationToken).ConfigureAwait(false);
                if (summaries.Count > 0 && sink is ISummarySink summarySink)
                {
                    await summarySink.WriteSummariesAsync(summaries, cancellationToken).ConfigureAwait(false);
                }
            }
            SampleDeadLetter[] letters = [.. refused.Select(r => ToDeadLetter(r.Sample, r.Topic, r.Reason))];
            await WhileUnavailableAsync(async ct =>
            {
                await _deadLetters.WriteAsync(letters, ct).ConfigureAwait(false);
                return true;
            }, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Nothing of a failed batch may stay in the state: roll the staged keys back (after staging ended, as the
            // connection is not shared between threads).
            (staged ?? await StagedOrNullAsync(staging).ConfigureAwait(false))?.Dispose();
            throw;
        }
        var sunk = _time.GetTimestamp();
        using (staged)
        {
            staged.Complete();
        }
        PruneWhenDue();
        Counters.AddTimes(_time.GetElapsedTime(started, cleaned), _time.GetElapsedTime(cleaned, written), _time.GetElapsedTime(written, sunk),
            _time.GetElapsedTime(sunk));

        var late = refused.Count(r => r.Reason.StartsWith(RejectCodes.TooLate, StringComparison.Ordinal));
        Counters.Add(records.Count, duplicateBatches, stored.Count, duplicateSamples, refused.Count - late, late, rejectedRecords.Count);
        if (rejectedRecords.Count > 0 || refused.Count > 0)
        {
            _logger.LogInformation("Ingest batch of {Records} record(s): {Written} sample(s) written, {Refused} refused, {Rejected} record(s) rejected",
                records.Count, stored.Count, refused.Count, rejectedRecords.Count);
        }
        return rejectedRecords.Count == 0 ? BatchOutcome.AllHandled : new BatchOutcome(rejectedRecords);
    }

    private async Task<List<Routed>> WriteInfluxAsync(List<Routed> accepted, List<(Routed, string, string)> refused, CancellationToken cancellationToken)
    {
        if (accepted.Count == 0 || _influx is null)
        {
            return accepted;
        }
        var points = new List<InfluxPoint>(accepted.Count);
        var owners = new List<int>(accepted.Count);
        var tags = new Dictionary<(string, string, SampleQuality), KeyValuePair<string, string>[]>();
        for (var i = 0; i < accepted.Count; i++)
        {
            SamplePoints.Append(accepted[i].Sample!, i, points, owners, tags);
        }
        var influx = _influx;
        var result = await WhileUnavailableAsync(ct => influx.WriteAsync(points, ct), cancellationToken).ConfigureAwait(false);
        if (result.Failed.Count == 0)
        {
            return accepted;
        }
        // A waveform with one refused point is refused whole: a trace with holes would mislead.
        var failedOwners = new Dictionary<int, InfluxPointFailure>();
        foreach (var failure in result.Failed)
        {
            failedOwners.TryAdd(owners[failure.Index], failure);
        }
        foreach (var (owner, failure) in failedOwners)
        {
            refused.Add((accepted[owner], _options.DeadLetterTopic, failure.Reason));
        }
        return [.. accepted.Where((_, i) => !failedOwners.ContainsKey(i))];
    }

    /// <summary>
    /// Adds the stored samples of period-summarised types to their windows (totals from the state store, as committed
    /// by earlier batches) and returns the new state of every window touched. The totals are committed with this
    /// batch's dedupe keys, so a redelivered batch starts again from the same totals.
    /// </summary>
    private List<PeriodSummary> Summarise(List<CleanSample> samples, StateChanges changes)
    {
        List<(WindowKey Key, SampleType Type)>? touched = null;
        foreach (var sample in samples)
        {
            if (sample.Type.Period is not { } period || sample.IsWaveform)
            {
                continue;
            }
            var key = WindowKey.Of(sample, period);
            if (!changes.TryGetWindow(key, out var aggregate))
            {
                aggregate = _state.Window(key);
                (touched ??= []).Add((key, sample.Type));
            }
            changes.SetWindow(key, aggregate.Add(sample));
        }
        if (touched is null)
        {
            return [];
        }
        return touched.ConvertAll(t =>
        {
            var start = new DateTimeOffset(t.Key.StartTicks, TimeSpan.Zero);
            return new PeriodSummary(t.Key.Patient, t.Type, start, start + t.Type.Period!.Value, changes.Windows[t.Key]);
        });
    }

    private static async Task<IngestStateStore.StagedCommit?> StagedOrNullAsync(Task<IngestStateStore.StagedCommit> staging)
    {
        try
        {
            return await staging.ConfigureAwait(false);
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>Repeats <paramref name="action"/> through outages of InfluxDB or Kafka, waiting longer each time, until it works or the stage stops.</summary>
    private async Task<T> WhileUnavailableAsync<T>(Func<CancellationToken, Task<T>> action, CancellationToken cancellationToken)
    {
        var backoff = _options.OutageBackoff;
        while (true)
        {
            try
            {
                return await action(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is InfluxWriteException { Code: InfluxWriteException.Unavailable } or DeadLetterDeliveryException)
            {
                Counters.AddOutage();
                _logger.LogWarning("Ingest waits out an outage ({Error}); next attempt in {Delay} ms", e.Message, (int)backoff.TotalMilliseconds);
                await Task.Delay(backoff, _time, cancellationToken).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxOutageBackoff.Ticks));
            }
        }
    }

    private void PruneWhenDue()
    {
        var now = _time.GetUtcNow();
        if (now < _nextPrune)
        {
            return;
        }
        _nextPrune = now + _options.PruneInterval;
        // A window can be fed until its samples are too old to be accepted at all; a day's margin covers the longest period.
        var keep = _options.MaxSampleAge.Ticks + _options.MaxClockAhead.Ticks + TimeSpan.TicksPerDay;
        var windowCutoff = keep < 0 || keep >= (now - DateTimeOffset.UnixEpoch).Ticks ? default : now.AddTicks(-keep);
        var removed = _state.Prune(now - _options.DedupeRetention, _options.AllowedLateness + _options.MaxClockAhead, windowCutoff);
        if (removed > 0)
        {
            _logger.LogDebug("Ingest pruned {Count} expired dedupe key(s)", removed);
        }
    }

    private static RawReading? Parse(KafkaRecord record) =>
        ContractsJson.TryParse(record.Value, out RawReading? reading, out _) && Problem(reading!) is null ? reading : null;

    private static string ParseFailure(KafkaRecord record)
    {
        if (!ContractsJson.TryParse(record.Value, out RawReading? reading, out var error))
        {
            return $"{RejectCodes.PayloadUnparseable}: {error}";
        }
        return Problem(reading!)!;
    }

    private static string? Problem(RawReading reading)
    {
        if (reading.Version != 1 || reading.Batch.Version != 1)
        {
            return $"{RejectCodes.PayloadUnsupportedVersion}: reading v{reading.Version}, batch v{reading.Batch.Version}; this stage reads v1";
        }
        if (!IsIdentifier(reading.Device) || !IsIdentifier(reading.Patient))
        {
            return $"{RejectCodes.PayloadInconsistent}: device and patient must be non-empty identifiers without control characters";
        }
        if (!string.Equals(reading.Device, reading.Batch.Device, StringComparison.Ordinal))
        {
            return $"{RejectCodes.PayloadInconsistent}: the envelope and the batch name different devices";
        }
        return reading.Batch.Samples is null ? $"{RejectCodes.PayloadInconsistent}: the batch has no samples list" : null;
    }

    private static bool IsIdentifier(string? value) => !string.IsNullOrEmpty(value) && value.Length <= 256 && !value.Any(char.IsControl);

    private SampleDeadLetter ToDeadLetter(Routed routed, string topic, string reason)
    {
        // The sample travels as a one-sample reading: after repair it can be replayed onto ps.readings.raw as it is.
        var single = routed.Reading with { Batch = routed.Reading.Batch with { Samples = [routed.Reading.Batch.Samples[routed.Index]] } };
        var letter = DeadLetter.For(_options.Stage, reason, ContractsJson.Serialize(single), _time.GetUtcNow(), routed.Record.Topic,
            routed.Record.Partition, routed.Record.Offset, routed.Record.Key);
        return new SampleDeadLetter(topic, routed.Record.Key, letter);
    }

    /// <summary>A sample with where it came from.</summary>
    private sealed record Routed(KafkaRecord Record, RawReading Reading, int Index, CleanSample? Sample);
}
