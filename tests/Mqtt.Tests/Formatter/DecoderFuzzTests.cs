using System.Buffers;
using System.Globalization;
using PatientStream.Mqtt.Formatter;
using PatientStream.Mqtt.Packets;

namespace PatientStream.Mqtt.Tests.Formatter;

/// <summary>
/// Random and mutated packets against the frame reader and decoder. The only allowed failure is a typed
/// <see cref="MqttProtocolException"/>; allocation per case must stay proportional to the input. The seed is fixed
/// (override with MQTT_FUZZ_SEED) so any failure replays exactly.
/// </summary>
public sealed class DecoderFuzzTests
{
    private const int RandomCases = 60_000;
    private const int MutatedCases = 60_000;
    private static readonly int Seed = int.TryParse(Environment.GetEnvironmentVariable("MQTT_FUZZ_SEED"), NumberStyles.Integer,
        CultureInfo.InvariantCulture, out var seed) ? seed : 20261121;

    [Fact]
    public void Random_bytes_never_escape_as_anything_but_a_protocol_error()
    {
#pragma warning disable CA5394 // Reproducible fuzzing, not security.
        var random = new Random(Seed);
        var outcomes = new Outcomes();
        for (var i = 0; i < RandomCases; i++)
        {
            var bytes = new byte[random.Next(0, 48)];
            random.NextBytes(bytes);
            if (bytes.Length > 0 && random.Next(2) == 0)
            {
                // Bias towards real packet types so bodies get past the first checks.
                bytes[0] = (byte)((random.Next(1, 16) << 4) | (bytes[0] & 0x0F));
            }
            if (bytes.Length > 1 && random.Next(2) == 0)
            {
                bytes[1] = (byte)(bytes.Length - 2);
            }
            Run(bytes, random.Next(2) == 0 ? MqttProtocolVersion.V311 : MqttProtocolVersion.V500, i, outcomes);
        }
#pragma warning restore CA5394
        // The corpus must exercise both paths, or the test proves nothing.
        Assert.True(outcomes.Decoded > 20, $"only {outcomes.Decoded} random inputs decoded");
        Assert.True(outcomes.Rejected > 10_000, $"only {outcomes.Rejected} random inputs rejected");
    }

    [Fact]
    public void Mutated_valid_packets_never_escape_as_anything_but_a_protocol_error()
    {
#pragma warning disable CA5394 // Reproducible fuzzing, not security.
        var random = new Random(Seed + 1);
        var corpus = new List<(byte[] Bytes, MqttProtocolVersion Version)>();
        foreach (var version in new[] { MqttProtocolVersion.V311, MqttProtocolVersion.V500 })
        {
            var encoder = new MqttPacketEncoder(version);
            corpus.AddRange(SamplePackets.For(version).Select(p => (encoder.Encode(p), version)));
        }
        var outcomes = new Outcomes();
        for (var i = 0; i < MutatedCases; i++)
        {
            var (original, version) = corpus[random.Next(corpus.Count)];
            var bytes = Mutate(original, random);
            Run(bytes, version, i, outcomes);
        }
#pragma warning restore CA5394
        Assert.True(outcomes.Decoded > 1_000, $"only {outcomes.Decoded} mutated inputs decoded");
        Assert.True(outcomes.Rejected > 10_000, $"only {outcomes.Rejected} mutated inputs rejected");
    }

#pragma warning disable CA5394
    private static byte[] Mutate(byte[] original, Random random)
    {
        var bytes = new List<byte>(original);
        var count = random.Next(1, 5);
        for (var m = 0; m < count && bytes.Count > 0; m++)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(6))
            {
                case 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 2:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 3:
                    bytes.Insert(at, (byte)random.Next(256));
                    break;
                case 4:
                    bytes.RemoveAt(at);
                    break;
                default:
                    // Keep the remaining length consistent so the mutation reaches the body decoder.
                    if (bytes.Count > 1 && bytes.Count - 2 < 128)
                    {
                        bytes[1] = (byte)(bytes.Count - 2);
                    }
                    break;
            }
        }
        return [.. bytes];
    }
#pragma warning restore CA5394

    private static void Run(byte[] bytes, MqttProtocolVersion version, int index, Outcomes outcomes)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            var buffer = new ReadOnlySequence<byte>(bytes);
            while (MqttFrameReader.TryReadFrame(ref buffer, 4096, out var header, out var body))
            {
                var packet = MqttPacketDecoder.Decode(header, body.FirstSpan, version);
                // Whatever decodes must encode again, and that encoding must be stable.
                var encodeAs = packet is MqttConnectPacket connect ? connect.ProtocolVersion : version;
                var encoder = new MqttPacketEncoder(encodeAs);
                var again = encoder.Encode(packet);
                var reparsed = Assert.Single(Frames.DecodeAll(again, encodeAs));
                Assert.Equal(again, encoder.Encode(reparsed));
                outcomes.Decoded++;
            }
        }
        catch (MqttProtocolException)
        {
            outcomes.Rejected++;
        }
        catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
        {
            Assert.Fail($"case {index} (seed {Seed}, {version}) {Convert.ToHexString(bytes)} escaped as {ex.GetType().Name}: {ex.Message}");
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        // Re-encoding and the exception's stack trace dominate; what matters is no growth beyond the input's size.
        Assert.True(allocated < 64 * 1024 + (64L * bytes.Length),
            $"case {index} (seed {Seed}) allocated {allocated} bytes for {bytes.Length} input bytes");
    }

    private sealed class Outcomes
    {
        public int Decoded { get; set; }
        public int Rejected { get; set; }
    }
}
