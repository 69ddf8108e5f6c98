namespace PatientStream.Mqtt.Tests.Formatter;

public sealed class HostileInputTests
{
    private const MqttProtocolVersion V3 = MqttProtocolVersion.V311;
    private const MqttProtocolVersion V5 = MqttProtocolVersion.V500;

    public static TheoryData<string, string, MqttProtocolVersion, MqttProtocolError> Cases => new()
    {
        { "remaining length of five bytes", "30 FF FF FF FF 7F", V3, MqttProtocolError.MalformedRemainingLength },
        { "remaining length not minimal", "30 80 00", V3, MqttProtocolError.MalformedRemainingLength },
        { "publish QoS 3", "36 03 00 01 61", V3, MqttProtocolError.InvalidQualityOfService },
        { "publish QoS 0 with DUP", "38 03 00 01 61", V3, MqttProtocolError.ReservedFlags },
        { "puback with reserved flags", "41 02 00 01", V3, MqttProtocolError.ReservedFlags },
        { "subscribe without its 0010 flags", "80 06 00 01 00 01 61 00", V3, MqttProtocolError.ReservedFlags },
        { "subscribe options reserved bits (3.1.1)", "82 06 00 01 00 01 61 04", V3, MqttProtocolError.ReservedFlags },
        { "subscribe retain handling 3", "82 07 00 01 00 00 01 61 30", V5, MqttProtocolError.ReservedFlags },
        { "subscribe with no filters", "82 02 00 01", V3, MqttProtocolError.UnexpectedPacket },
        { "subscribe with '#' mid-filter", "82 08 00 01 00 03 23 2F 61 00", V3, MqttProtocolError.InvalidTopicFilter },
        { "packet type 0", "00 00", V3, MqttProtocolError.InvalidPacketType },
        { "AUTH under 3.1.1", "F0 00", V3, MqttProtocolError.InvalidPacketType },
        { "topic length past the end", "30 03 00 05 61", V3, MqttProtocolError.Truncated },
        { "packet identifier cut short", "32 04 00 01 61 00", V3, MqttProtocolError.Truncated },
        { "topic is not UTF-8", "30 04 00 02 C3 28", V3, MqttProtocolError.InvalidUtf8 },
        { "topic contains U+0000", "30 04 00 02 61 00", V3, MqttProtocolError.InvalidUtf8 },
        { "topic contains a wildcard", "30 04 00 02 61 23", V3, MqttProtocolError.InvalidTopicName },
        { "empty topic without alias", "30 03 00 00 00", V5, MqttProtocolError.InvalidTopicName },
        { "empty topic under 3.1.1", "30 02 00 00", V3, MqttProtocolError.InvalidTopicName },
        { "packet identifier 0", "40 02 00 00", V3, MqttProtocolError.InvalidPacketIdentifier },
        { "bytes after the last field", "D0 01 00", V3, MqttProtocolError.TrailingBytes },
        { "puback 3.1.1 with extra bytes", "40 03 00 01 00", V3, MqttProtocolError.TrailingBytes },
        { "property that may appear once, twice", "40 0A 00 01 80 06 1F 00 00 1F 00 00", V5, MqttProtocolError.DuplicateProperty },
        { "unknown property", "40 06 00 01 80 02 7F 00", V5, MqttProtocolError.InvalidProperty },
        { "property block past the packet", "40 05 00 01 80 09 1F", V5, MqttProtocolError.Truncated },
        { "receive maximum 0", "20 06 00 00 03 21 00 00", V5, MqttProtocolError.InvalidProperty },
        { "subscription identifier 0", "30 06 00 01 61 02 0B 00", V5, MqttProtocolError.InvalidProperty },
        { "connack reserved flags", "20 02 02 00", V3, MqttProtocolError.ReservedFlags },
        { "connack return code 6 under 3.1.1", "20 02 00 06", V3, MqttProtocolError.InvalidReasonCode },
        { "suback code 0x87 under 3.1.1", "90 03 00 01 87", V3, MqttProtocolError.InvalidReasonCode },
        { "connect with a foreign protocol name", "10 0C 00 04 4D 51 49 73 04 02 00 3C 00 00", V3, MqttProtocolError.InvalidProtocolName },
        { "connect reserved flag", "10 0C 00 04 4D 51 54 54 04 03 00 3C 00 00", V3, MqttProtocolError.ReservedFlags },
        { "connect will QoS 3", "10 0C 00 04 4D 51 54 54 04 1E 00 3C 00 00", V3, MqttProtocolError.InvalidQualityOfService },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Malformed_packet_is_a_typed_protocol_error(string because, string hex, MqttProtocolVersion version, MqttProtocolError expected)
    {
        var error = Assert.Throws<MqttProtocolException>(() => Frames.DecodeAll(Frames.Hex(hex), version));

        Assert.True(expected == error.Error, $"{because}: expected {expected}, got {error.Error} ({error.Message})");
        Assert.StartsWith("mqtt.", error.Code, StringComparison.Ordinal);
    }

    [Fact]
    public void Oversize_packet_is_refused_from_its_header_before_the_body_arrives()
    {
        // Only the fixed header of a 2 MB PUBLISH: the limit is enforced before any body buffer could exist.
        var error = Assert.Throws<MqttProtocolException>(() => Frames.DecodeAll(Frames.Hex("30 80 80 80 01"), V3, maximumPacketSize: 1 << 20));

        Assert.Equal(MqttProtocolError.PacketTooLarge, error.Error);
        Assert.Equal(MqttReasonCode.PacketTooLarge, error.DisconnectReason);
    }

    [Fact]
    public void Protocol_errors_map_to_the_mqtt5_disconnect_reasons()
    {
        Assert.Equal(MqttReasonCode.MalformedPacket, new MqttProtocolException(MqttProtocolError.Truncated, "x").DisconnectReason);
        Assert.Equal(MqttReasonCode.ProtocolError, new MqttProtocolException(MqttProtocolError.DuplicateProperty, "x").DisconnectReason);
        Assert.Equal(MqttReasonCode.TopicAliasInvalid, new MqttProtocolException(MqttProtocolError.InvalidTopicAlias, "x").DisconnectReason);
    }
}
