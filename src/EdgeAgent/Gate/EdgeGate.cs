using PatientStream.EdgeAgent.Audit;
using PatientStream.Kafka.Contracts;

namespace PatientStream.EdgeAgent.Gate;

/// <summary>
/// Decides, per batch, whether it may leave the edge: the payload keeps the contract, the payload's device is the
/// topic's, the device is enrolled, attested, not revoked and bound to a patient, and consent permits the batch's
/// codes for <see cref="GateOptions.Purpose"/>. Samples of denied codes are removed from a partially permitted batch.
/// Every decision is counted and audited. Checks run cheapest first, and nothing here throws for bad input.
/// </summary>
public sealed class EdgeGate
{
    private const string TopicPrefix = "ps/v1/devices/";
    private const string TopicSuffix = "/readings";

    private readonly IDeviceDirectory _devices;
    private readonly IConsentDecider _consent;
    private readonly IEdgeAudit _audit;
    private readonly GateOptions _options;
    private readonly EdgeMetrics _metrics;

    public EdgeGate(IDeviceDirectory devices, IConsentDecider consent, IEdgeAudit audit, GateOptions options, EdgeMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _devices = devices ?? throw new ArgumentNullException(nameof(devices));
        _consent = consent ?? throw new ArgumentNullException(nameof(consent));
        _audit = audit ?? throw new ArgumentNullException(nameof(audit));
        _options = options;
        _metrics = metrics ?? throw new ArgumentNullException(nameof(metrics));
    }

    /// <summary>The device id of a readings topic (<c>ps/v1/devices/{id}/readings</c>), or null for any other topic.</summary>
    public static string? DeviceOfTopic(string topic)
    {
        ArgumentNullException.ThrowIfNull(topic);
        if (!topic.StartsWith(TopicPrefix, StringComparison.Ordinal) || !topic.EndsWith(TopicSuffix, StringComparison.Ordinal))
        {
            return null;
        }
        var device = topic[TopicPrefix.Length..^TopicSuffix.Length];
        return device.Length == 0 || device.Contains('/', StringComparison.Ordinal) ? null : device;
    }

    public async ValueTask<GateOutcome> EvaluateAsync(string topic, ReadOnlyMemory<byte> payload, DateTimeOffset received,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(topic);
        _metrics.OnReceived();
        var topicDevice = DeviceOfTopic(topic);
        if (topicDevice is null)
        {
            return Reject(topic, received, GateReasons.MalformedTopic, "not a readings topic", null, null);
        }
        if (!DeviceBatchReader.TryRead(payload.Span, out var batch, out var exact)
            && !ContractsJson.TryParse(payload.Span, out batch, out var parseError))
        {
            return Quarantine(topic, received, parseError!);
        }
        var contractError = BatchContract.Check(batch!, _options.MaxSamples);
        if (contractError is not null)
        {
            return Quarantine(topic, received, contractError);
        }
        if (!string.Equals(batch!.Device, topicDevice, StringComparison.Ordinal))
        {
            return Reject(topic, received, GateReasons.DeviceMismatch, "payload device differs from the topic's", topicDevice, batch.Seq);
        }

        var standing = await _devices.FindAsync(topicDevice, cancellationToken).ConfigureAwait(false);
        var refusal = standing switch
        {
            null => (GateReasons.UnknownDevice, "device not enrolled at this site"),
            { Revoked: true } => (GateReasons.Revoked, "device certificate revoked"),
            { Attested: false } => (GateReasons.NotAttested, "device has not passed attestation"),
            { Patient: null or "" } => (GateReasons.Unbound, "device is not bound to a patient"),
            _ => default((string, string)?),
        };
        if (refusal is var (reason, detail))
        {
            return Reject(topic, received, reason, detail, topicDevice, batch.Seq);
        }
        var patient = standing!.Patient!;

        var codes = Codes(batch.Samples, out var dataTime);
        var decision = await _consent.DecideAsync(new EdgeConsentRequest(patient, topicDevice, _options.Purpose, codes, dataTime), cancellationToken)
            .ConfigureAwait(false);
        var kept = decision.Outcome == EdgeConsentOutcome.Deny ? [] : Permitted(batch.Samples, decision.PermittedCodes);
        if (kept.Count == 0)
        {
            return Reject(topic, received, GateReasons.ConsentDenied, "consent does not permit these data for " + _options.Purpose,
                topicDevice, batch.Seq, patient, decision.Consents);
        }

        var partial = kept.Count < batch.Samples.Count;
        List<string>? removedTypes = null;
        if (partial)
        {
            removedTypes = [.. batch.Samples.Where(s => !decision.PermittedCodes.Contains(Code(s.Type))).Select(s => s.Type).Distinct(StringComparer.Ordinal)];
            _metrics.OnSamplesRemoved(batch.Samples.Count - kept.Count);
        }
        double? skewMs = batch.Sent == default ? null : (batch.Sent - received).TotalMilliseconds;
        var skewFlagged = skewMs is { } skew && Math.Abs(skew) > _options.SkewThreshold.TotalMilliseconds;
        if (skewFlagged)
        {
            _metrics.OnSkewFlagged();
        }
        var stamp = new ConsentStamp(partial ? "partial" : "permit", removedTypes,
            decision.Consents.Count > 0 ? decision.Consents : null);
        var reading = new RawReading
        {
            Device = topicDevice,
            Patient = patient,
            Received = received,
            ClockSkewMs = skewMs,
            Consent = stamp,
            Batch = partial ? batch with { Samples = kept } : batch,
        };
        _audit.Record(new EdgeAuditRecord
        {
            At = received, Outcome = stamp.Decision, Topic = topic, Device = topicDevice, Seq = batch.Seq, Patient = patient,
            RemovedTypes = stamp.RemovedTypes, Consents = stamp.Consents,
        });
        // A whole batch read exactly from the payload can leave as the device sent it.
        return new GateForward(reading, skewFlagged, exact && !partial ? payload : default);
    }

    private static string Code(string type) => SampleCodes.TryGetCode(type, out var code) ? code : type;

    /// <summary>The distinct codes of a batch and its earliest sample time, without LINQ: this runs for every batch.</summary>
    private static List<string> Codes(IReadOnlyList<Sample> samples, out DateTimeOffset earliest)
    {
        var codes = new List<string>(4);
        earliest = DateTimeOffset.MaxValue;
        for (var i = 0; i < samples.Count; i++)
        {
            var code = Code(samples[i].Type);
            if (!codes.Contains(code, StringComparer.Ordinal))
            {
                codes.Add(code);
            }
            if (samples[i].Time < earliest)
            {
                earliest = samples[i].Time;
            }
        }
        return codes;
    }

    /// <summary>The samples whose code is permitted; the batch's own list when all are.</summary>
    private static IReadOnlyList<Sample> Permitted(IReadOnlyList<Sample> samples, IReadOnlySet<string> permitted)
    {
        var all = true;
        for (var i = 0; i < samples.Count && all; i++)
        {
            all = permitted.Contains(Code(samples[i].Type));
        }
        return all ? samples : [.. samples.Where(s => permitted.Contains(Code(s.Type)))];
    }

    private GateQuarantined Quarantine(string topic, DateTimeOffset at, string detail)
    {
        _metrics.OnQuarantined();
        _audit.Record(new EdgeAuditRecord
        {
            At = at, Outcome = "quarantined", Reason = GateQuarantined.Reason, Detail = detail, Topic = topic, Device = DeviceOfTopic(topic),
        });
        return new GateQuarantined(detail);
    }

    private GateRejected Reject(string topic, DateTimeOffset at, string reason, string detail, string? device, long? seq,
        string? patient = null, IReadOnlyList<string>? consents = null)
    {
        _metrics.OnRejected(reason);
        _audit.Record(new EdgeAuditRecord
        {
            At = at, Outcome = "rejected", Reason = reason, Detail = detail, Topic = topic, Device = device, Seq = seq, Patient = patient,
            Consents = consents is { Count: > 0 } ? consents : null,
        });
        return new GateRejected(reason, detail, device, seq);
    }
}
