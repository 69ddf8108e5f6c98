using System.Text;
using PatientStream.Kafka.Contracts;

namespace PatientStream.Kafka.Tests;

public sealed class ContractsJsonTests
{
    [Fact]
    public void Device_batch_from_the_design_contract_parses()
    {
        var json = """{"v":1,"device":"dev-1","seq":42,"sent":"2026-11-21T10:00:05.120Z","samples":[{"type":"heart-rate","t":"2026-11-21T10:00:04Z","v":72,"unit":"/min"},{"type":"ecg","t":"2026-11-21T10:00:04Z","periodMs":4,"data":[0.1,0.2,-0.05],"unit":"mV"}]}""";
        Assert.True(ContractsJson.TryParse(Encoding.UTF8.GetBytes(json), out DeviceBatch? batch, out var error), error);
        Assert.Equal("dev-1", batch!.Device);
        Assert.Equal(42, batch.Seq);
        Assert.Equal(new DateTimeOffset(2026, 11, 21, 10, 0, 5, 120, TimeSpan.Zero), batch.Sent);
        Assert.Equal(72, batch.Samples[0].Value);
        Assert.False(batch.Samples[0].IsWaveform);
        Assert.True(batch.Samples[1].IsWaveform);
        Assert.Equal([0.1, 0.2, -0.05], batch.Samples[1].Data!);
        Assert.Equal(4, batch.Samples[1].PeriodMs);
    }

    [Theory]
    [InlineData("{not json", "invalid DeviceBatch")]
    [InlineData("""{"v":1,"seq":1,"samples":[]}""", "device")]
    [InlineData("""{"v":1,"device":"d","seq":"one","samples":[]}""", "invalid DeviceBatch")]
    [InlineData("null", "null")]
    public void Malformed_batches_come_back_with_a_reason_not_an_exception(string json, string expected)
    {
        Assert.False(ContractsJson.TryParse(Encoding.UTF8.GetBytes(json), out DeviceBatch? batch, out var error));
        Assert.Null(batch);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Dead_letter_keeps_text_values_as_text_and_binary_values_as_base64()
    {
        var at = DateTimeOffset.UnixEpoch;
        var text = DeadLetter.For("ingest", "bad unit", "{\"a\":1}"u8, at);
        Assert.Equal("{\"a\":1}", text.Value);
        Assert.Null(text.ValueBase64);

        byte[] binary = [0xFF, 0xFE, 0x00, 0x80];
        var letter = DeadLetter.For("ingest", "garbage", binary, at, "ps.readings.raw", 2, 17, "Patient/1");
        Assert.Null(letter.Value);
        Assert.Equal(binary, Convert.FromBase64String(letter.ValueBase64!));
        Assert.True(ContractsJson.TryParse(ContractsJson.Serialize(letter), out DeadLetter? back, out _));
        Assert.Equal(letter, back);
    }
}
