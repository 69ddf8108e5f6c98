using System.Text;
using PatientStream.EdgeAgent.Gate;
using PatientStream.Kafka.Contracts;

namespace PatientStream.EdgeAgent.Tests.Gate;

public sealed class RawReadingEncoderTests : IDisposable
{
    private const string Topic = "ps/v1/devices/dev-1/readings";
    private static readonly DateTimeOffset s_received = Readings.At.AddSeconds(1);
    private readonly EdgeMetrics _metrics = new();
    private readonly RawReadingEncoder _encoder = new();

    private EdgeGate Gate(ConsentTable consent) =>
        new(new DeviceTable().Add("dev-1", "Patient/1"), consent, new RecordingAudit(), new GateOptions(), _metrics);

    private const string Payload = """
        {"v":1,"device":"dev-1","seq":5,"sent":"2026-11-21T10:00:09.5+01:00","samples":[
          {"type":"heart-rate","t":"2026-11-21T10:00:00Z","v":72,"unit":"/min"},
          {"type":"ecg","t":"2026-11-21T10:00:00Z","periodMs":4,"data":[0.1,-0.2,0.35],"unit":"mV"}]}
        """;

    private async Task<GateForward> ForwardAsync(ConsentTable consent, string payload = Payload) =>
        Assert.IsType<GateForward>(await Gate(consent).EvaluateAsync(Topic, Encoding.UTF8.GetBytes(payload), s_received, CancellationToken.None));

    [Fact]
    public async Task A_whole_batch_goes_out_as_the_device_sent_it_and_reads_back_as_the_contract_reading()
    {
        var forward = await ForwardAsync(new ConsentTable().Permit("Patient/1", "heart-rate", "ecg"));
        Assert.False(forward.VerbatimBatch.IsEmpty);

        var value = _encoder.Encode(forward);

        Assert.True(ContractsJson.TryParse(value, out RawReading? decoded, out var error), error);
        Assert.Equal(ContractsJson.Serialize(forward.Reading), ContractsJson.Serialize(decoded!));
        Assert.Contains("[0.1,-0.2,0.35]", Encoding.UTF8.GetString(value), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_partially_permitted_batch_is_written_anew_without_the_removed_samples()
    {
        var forward = await ForwardAsync(new ConsentTable().Permit("Patient/1", "heart-rate"));
        Assert.True(forward.VerbatimBatch.IsEmpty);

        Assert.True(ContractsJson.TryParse(_encoder.Encode(forward), out RawReading? decoded, out _));

        Assert.Equal(["heart-rate"], decoded!.Batch.Samples.Select(s => s.Type));
        Assert.Equal("partial", decoded.Consent.Decision);
        Assert.Equal(["ecg"], decoded.Consent.RemovedTypes!);
    }

    [Fact]
    public async Task A_payload_with_members_beyond_the_contract_is_written_anew_without_them()
    {
        var forward = await ForwardAsync(new ConsentTable().Permit("Patient/1", "heart-rate", "ecg"), Payload.Replace("\"seq\":5,", "\"seq\":5,\"owner\":\"Jane Doe\",", StringComparison.Ordinal));
        Assert.True(forward.VerbatimBatch.IsEmpty);

        var value = Encoding.UTF8.GetString(_encoder.Encode(forward));

        Assert.DoesNotContain("Jane Doe", value, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Encoding_one_reading_after_another_reuses_nothing_of_the_previous_one()
    {
        var first = _encoder.Encode(await ForwardAsync(new ConsentTable().Permit("Patient/1", "heart-rate", "ecg")));
        var second = _encoder.Encode(await ForwardAsync(new ConsentTable().Permit("Patient/1", "heart-rate", "ecg"), Payload.Replace("\"seq\":5", "\"seq\":6", StringComparison.Ordinal)));

        Assert.True(ContractsJson.TryParse(first, out RawReading? a, out _));
        Assert.True(ContractsJson.TryParse(second, out RawReading? b, out _));
        Assert.Equal((5L, 6L), (a!.Batch.Seq, b!.Batch.Seq));
    }

    public void Dispose()
    {
        _encoder.Dispose();
        _metrics.Dispose();
    }
}
