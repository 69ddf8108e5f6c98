using System.Buffers;
using PatientStream.Mqtt.Formatter;
using PatientStream.Mqtt.Packets;

namespace PatientStream.Mqtt.Tests.Formatter;

internal static class Frames
{
    public static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    /// <summary>Splits bytes into frames and decodes each, the way the client's read loop does.</summary>
    public static List<MqttPacket> DecodeAll(ReadOnlySpan<byte> bytes, MqttProtocolVersion version, uint maximumPacketSize = 1 << 20)
    {
        var buffer = new ReadOnlySequence<byte>(bytes.ToArray());
        var packets = new List<MqttPacket>();
        while (MqttFrameReader.TryReadFrame(ref buffer, maximumPacketSize, out var header, out var body))
        {
            packets.Add(MqttPacketDecoder.Decode(header, body.ToArray(), version));
        }
        return packets;
    }
}
