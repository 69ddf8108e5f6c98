using System.Text;
using PatientStream.EdgeAgent.Gate;
using PatientStream.Kafka.Contracts;

namespace PatientStream.EdgeAgent.Tests.Gate;

public sealed class EdgeGateTests : IDisposable
{
    private const string Topic = "ps/v1/devices/dev-1/readings";
    private static readonly DateTimeOffset s_received = Readings.At.AddSeconds(1);
    private readonly EdgeMetrics _metrics = new();
    private readonly RecordingAudit _audit = new();
    private readonly DeviceTable _devices = new DeviceTable()
        .Add("dev-1", "Patient/1")
        .Add("dev-unbound", null)
        .Add("dev-unattested", "Patient/1", attested: false)
        .Add("dev-revoked", "Patient/1", revoked: true)
        .Add("dev-private", "Patient/2");
    private readonly ConsentTable _consent = new ConsentTable().Permit("Patient/1", "heart-rate", "spo2", "ecg").Permit("Patient/2");

    private EdgeGate Gate() => new(_devices, _consent, _audit, new GateOptions(), _metrics);

    private static string Json(string device, string samples = """[{"type":"heart-rate","t":"2026-11-21T10:00:00Z","v":72,"unit":"/min"}]""") =>
        $$"""{"v":1,"device":"{{device}}","seq":42,"sent":"2026-11-21T10:00:01Z","samples":{{samples}}}""";

    public static TheoryData<string, string, string> Rejections => new()
    {
        { "ps/v1/devices/dev-1/status", Json("dev-1"), GateReasons.MalformedTopic },
        { "ps/v1/devices/a/b/readings", Json("dev-1"), GateReasons.MalformedTopic },
        { Topic, Json("dev-2"), GateReasons.DeviceMismatch },
        { "ps/v1/devices/dev-ghost/readings", Json("dev-ghost"), GateReasons.UnknownDevice },
        { "ps/v1/devices/dev-unattested/readings", Json("dev-unattested"), GateReasons.NotAttested },
        { "ps/v1/devices/dev-revoked/readings", Json("dev-revoked"), GateReasons.Revoked },
        { "ps/v1/devices/dev-unbound/readings", Json("dev-unbound"), GateReasons.Unbound },
        { "ps/v1/devices/dev-private/readings", Json("dev-private"), GateReasons.ConsentDenied },
        { Topic, Json("dev-1", """[{"type":"glucose","t":"2026-11-21T10:00:00Z","v":99,"unit":"mg/dL"}]"""), GateReasons.ConsentDenied },
    };

    [Theory]
    [MemberData(nameof(Rejections))]
    public async Task A_refused_batch_is_counted_audited_with_its_reason_and_not_forwarded(string topic, string payload, string reason)
    {
        var outcome = await Gate().EvaluateAsync(topic, Encoding.UTF8.GetBytes(payload), s_received, CancellationToken.None);

        var rejected = Assert.IsType<GateRejected>(outcome);
        Assert.Equal(reason, rejected.Reason);
        Assert.Equal(1, _metrics.Snapshot().RejectedByReason[reason]);
        var audit = Assert.Single(_audit.Records);
        Assert.Equal("rejected", audit.Outcome);
        Assert.Equal(reason, audit.Reason);
        Assert.Equal(topic, audit.Topic);
    }

    public static TheoryData<string, string> MalformedPayloads => new()
    {
        { "not json", "invalid DeviceBatch" },
        { "null", "JSON null" },
        { """{"v":1,"device":"dev-1","samples":[]}""", "invalid DeviceBatch" },
        { """{"v":2,"device":"dev-1","seq":1,"samples":[{"type":"heart-rate","t":"2026-11-21T10:00:00Z","v":72}]}""", "version 2" },
        { """{"v":1,"device":"dev-1","seq":1,"samples":[]}""", "no samples" },
        { """{"v":1,"device":"dev-1","seq":1,"samples":null}""", "samples is null" },
        { """{"v":1,"device":"dev-1","seq":-1,"samples":[{"type":"heart-rate","t":"2026-11-21T10:00:00Z","v":72}]}""", "negative" },
        { """{"v":1,"device":"dev-1","seq":1,"samples":[{"type":"mood","t":"2026-11-21T10:00:00Z","v":3}]}""", "unknown type 'mood'" },
        { """{"v":1,"device":"dev-1","seq":1,"samples":[{"type":"heart-rate","v":72}]}""", "no time" },
        { """{"v":1,"device":"dev-1","seq":1,"samples":[{"type":"heart-rate","t":"2026-11-21T10:00:00Z"}]}""", "finite value" },
        { """{"v":1,"device":"dev-1","seq":1,"samples":[{"type":"heart-rate","t":"2026-11-21T10:00:00Z","v":"72"}]}""", "invalid DeviceBatch" },
        { """{"v":1,"device":"dev-1","seq":1,"samples":[{"type":"ecg","t":"2026-11-21T10:00:00Z","data":[0.1]}]}""", "periodMs" },
        { """{"v":1,"device":"dev-1","seq":1,"samples":[null]}""", "sample 0: is null" },
    };

    [Theory]
    [MemberData(nameof(MalformedPayloads))]
    public async Task A_payload_that_breaks_the_contract_is_quarantined_with_the_reason(string payload, string reasonPart)
    {
        var outcome = await Gate().EvaluateAsync(Topic, Encoding.UTF8.GetBytes(payload), s_received, CancellationToken.None);

        var quarantined = Assert.IsType<GateQuarantined>(outcome);
        Assert.Contains(reasonPart, quarantined.Detail, StringComparison.Ordinal);
        Assert.Equal(1, _metrics.Snapshot().Quarantined);
        var audit = Assert.Single(_audit.Records);
        Assert.Equal(("quarantined", GateReasons.MalformedPayload, "dev-1"), (audit.Outcome, audit.Reason, audit.Device));
        Assert.Empty(_consent.Requests);
    }

    [Fact]
    public async Task A_permitted_batch_is_forwarded_with_patient_receive_time_skew_and_decision()
    {
        var outcome = await Gate().EvaluateAsync(Topic, Encoding.UTF8.GetBytes(Json("dev-1")), s_received, CancellationToken.None);

        var forward = Assert.IsType<GateForward>(outcome);
        var reading = forward.Reading;
        Assert.Equal(("dev-1", "Patient/1", s_received), (reading.Device, reading.Patient, reading.Received));
        Assert.Equal(0, reading.ClockSkewMs);
        Assert.False(forward.SkewFlagged);
        Assert.Equal("permit", reading.Consent.Decision);
        Assert.Null(reading.Consent.RemovedTypes);
        Assert.Equal(["Consent/Patient-1"], reading.Consent.Consents!);
        Assert.Equal(42, reading.Batch.Seq);
        var request = Assert.Single(_consent.Requests);
        Assert.Equal(("Patient/1", "dev-1", "TREAT"), (request.Patient, request.Device, request.Purpose));
        Assert.Equal(["http://loinc.org|8867-4"], request.Codes);
        Assert.Equal("permit", Assert.Single(_audit.Records).Outcome);
    }

    [Fact]
    public async Task A_partially_permitted_batch_loses_only_the_denied_samples()
    {
        const string samples = """
            [{"type":"heart-rate","t":"2026-11-21T10:00:00Z","v":72},
             {"type":"glucose","t":"2026-11-21T10:00:00Z","v":99},
             {"type":"spo2","t":"2026-11-21T10:00:00Z","v":97},
             {"type":"glucose","t":"2026-11-21T10:00:01Z","v":98},
             {"type":"ecg","t":"2026-11-21T10:00:00Z","periodMs":4,"data":[0.1,0.2],"unit":"mV"}]
            """;
        var outcome = await Gate().EvaluateAsync(Topic, Encoding.UTF8.GetBytes(Json("dev-1", samples)), s_received, CancellationToken.None);

        var reading = Assert.IsType<GateForward>(outcome).Reading;
        Assert.Equal(["heart-rate", "spo2", "ecg"], reading.Batch.Samples.Select(s => s.Type));
        Assert.Equal("partial", reading.Consent.Decision);
        Assert.Equal(["glucose"], reading.Consent.RemovedTypes!);
        Assert.Equal(2, _metrics.Snapshot().SamplesRemoved);
        var audit = Assert.Single(_audit.Records);
        Assert.Equal(("partial", "Patient/1"), (audit.Outcome, audit.Patient));
        Assert.Equal(["glucose"], audit.RemovedTypes!);
    }

    [Theory]
    [InlineData(-30_000, true)]
    [InlineData(-4_000, false)]
    [InlineData(6_000, true)]
    public async Task Device_clock_skew_is_kept_and_flagged_above_the_threshold(int skewMs, bool flagged)
    {
        var received = new DateTimeOffset(2026, 11, 21, 10, 0, 1, TimeSpan.Zero).AddMilliseconds(-skewMs);

        var forward = Assert.IsType<GateForward>(await Gate().EvaluateAsync(Topic, Encoding.UTF8.GetBytes(Json("dev-1")), received, CancellationToken.None));

        Assert.Equal(skewMs, forward.Reading.ClockSkewMs);
        Assert.Equal(received, forward.Reading.Received);
        Assert.Equal(flagged, forward.SkewFlagged);
        Assert.Equal(flagged ? 1 : 0, _metrics.Snapshot().SkewFlagged);
    }

    [Fact]
    public async Task The_forwarded_reading_serialises_to_the_raw_contract()
    {
        var forward = Assert.IsType<GateForward>(await Gate().EvaluateAsync(Topic, Encoding.UTF8.GetBytes(Json("dev-1")), s_received, CancellationToken.None));

        Assert.True(ContractsJson.TryParse(ContractsJson.Serialize(forward.Reading), out RawReading? back, out var error), error);
        Assert.Equal(forward.Reading.Patient, back!.Patient);
        Assert.Equal(72, Assert.Single(back.Batch.Samples).Value);
    }

    public void Dispose() => _metrics.Dispose();
}
