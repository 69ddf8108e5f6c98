using System.Text;
using PatientStream.EdgeAgent.Gate;
using PatientStream.Kafka.Contracts;

namespace PatientStream.EdgeAgent.Tests.Gate;

/// <summary>The gate's own batch reader must decide exactly as the contract parser, or leave the decision to it.</summary>
public sealed class DeviceBatchReaderTests
{
    private const string HeartRate = """{"type":"heart-rate","t":"2026-11-21T10:00:00Z","v":72,"unit":"/min"}""";

    private static string Batch(string samples = "[" + HeartRate + "]", string extra = "") =>
        $$"""{"v":1,"device":"dev-1","seq":42,"sent":"2026-11-21T10:00:01+01:00","samples":{{samples}}{{extra}}}""";

    public static TheoryData<string, bool> ReadPayloads => new()
    {
        { Batch(), true },
        { """{"samples":[{"t":"2026-11-21T10:00:00.123Z","type":"spo2","v":97.5}],"seq":7,"device":"d\u00e9v"}""", true },
        { Batch("""[{"type":"ecg","t":"2026-11-21T10:00:00Z","periodMs":4,"data":[0.1,-0.25,1e-3],"unit":"mV","v":null}]"""), true },
        { Batch("""[{"type":"body-temperature","t":"2026-11-21T10:00:00Z","v":36.6,"unit":null}]"""), true },
        { Batch("""[{"type":"heart-rate","t":"2026-11-21T10:00:00Z","v":72,"unit":"beats per minute"}]"""), true },
        { Batch(extra: ""","firmware":{"version":"1.2","flags":[1,2]}"""), false },
        { Batch("[" + HeartRate + "," + HeartRate + "]") + "  \n", true },
    };

    [Theory]
    [MemberData(nameof(ReadPayloads))]
    public void A_payload_it_reads_gives_the_batch_the_contract_parser_gives(string payload, bool exact)
    {
        var utf8 = Encoding.UTF8.GetBytes(payload);

        Assert.True(DeviceBatchReader.TryRead(utf8, out var batch, out var wasExact));

        Assert.True(ContractsJson.TryParse(utf8, out DeviceBatch? expected, out _));
        Assert.Equal(ContractsJson.Serialize(expected!), ContractsJson.Serialize(batch!));
        Assert.Equal(exact, wasExact);
    }

    public static TheoryData<string> DeclinedPayloads => new()
    {
        "not json",
        "null",
        "[]",
        Batch() + "{}",
        Batch(extra: ""","seq":43"""),
        Batch(extra: ""","$id":"1" """),
        """{"v":1,"device":"dev-1","samples":[]}""",
        """{"v":"1","device":"dev-1","seq":1,"samples":[]}""",
        """{"v":1.5,"device":"dev-1","seq":1,"samples":[]}""",
        """{"v":1,"device":null,"seq":1,"samples":[]}""",
        """{"v":1,"device":"dev-1","seq":1,"samples":null}""",
        """{"v":1,"device":"dev-1","seq":99999999999999999999,"samples":[]}""",
        Batch("[null]"),
        Batch("""[{"type":null,"t":"2026-11-21T10:00:00Z","v":72}]"""),
        Batch("""[{"type":"heart-rate","t":"yesterday","v":72}]"""),
        Batch("""[{"type":"heart-rate","t":"2026-11-21T10:00:00Z","v":"72"}]"""),
        Batch("""[{"type":"ecg","t":"2026-11-21T10:00:00Z","periodMs":4,"data":[1,null]}]"""),
        Batch("""[{"type":"heart-rate","t":"2026-11-21T10:00:00Z","v":72,"note":"x"}]"""),
        Batch("""[{"type":"heart-rate","t":"2026-11-21T10:00:00Z","v":72 /* comment */}]"""),
    };

    [Theory]
    [MemberData(nameof(DeclinedPayloads))]
    public void A_payload_off_the_plain_shape_is_left_to_the_contract_parser(string payload)
    {
        Assert.False(DeviceBatchReader.TryRead(Encoding.UTF8.GetBytes(payload), out var batch, out var exact));
        Assert.Null(batch);
        Assert.False(exact);
    }

    [Fact]
    public void Invalid_UTF8_in_a_string_is_left_to_the_contract_parser()
    {
        var payload = Encoding.UTF8.GetBytes(Batch()).ToList();
        var at = payload.IndexOf((byte)'1', payload.IndexOf((byte)'d'));
        payload[at] = 0xC3;

        Assert.False(DeviceBatchReader.TryRead(payload.ToArray(), out _, out _));
    }
}
