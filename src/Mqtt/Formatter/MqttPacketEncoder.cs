using PatientStream.Mqtt.Packets;

namespace PatientStream.Mqtt.Formatter;

/// <summary>
/// Serializes packets for one protocol version. Not thread-safe: one per connection (the writer loop owns it), so
/// its scratch buffers are reused packet after packet.
/// </summary>
public sealed class MqttPacketEncoder
{
    private readonly MqttBufferWriter _body = new(512);
    private readonly MqttBufferWriter _properties = new(128);

    public MqttPacketEncoder(MqttProtocolVersion version) => Version = version;

    public MqttProtocolVersion Version { get; }

    private bool IsV5 => Version == MqttProtocolVersion.V500;

    /// <summary>Encodes one packet into a new array (tests, tools); the client writes into its own buffer instead.</summary>
    public byte[] Encode(MqttPacket packet)
    {
        var output = new MqttBufferWriter(64);
        Encode(packet, output, uint.MaxValue);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Appends the packet to <paramref name="output"/>; throws <see cref="MqttProtocolException"/> with
    /// <see cref="MqttProtocolError.PacketTooLarge"/> (and writes nothing) when it would exceed <paramref name="maximumPacketSize"/>.
    /// </summary>
    internal int Encode(MqttPacket packet, MqttBufferWriter output, uint maximumPacketSize)
    {
        ArgumentNullException.ThrowIfNull(packet);
        _body.Reset();
        var flags = packet switch
        {
            MqttConnectPacket p => WriteConnect(p),
            MqttConnAckPacket p => WriteConnAck(p),
            MqttPublishPacket p => WritePublish(p),
            MqttAckPacket p => WriteAck(p),
            MqttSubscribePacket p => WriteSubscribe(p),
            MqttSubAckPacket p => WriteSubAck(p),
            MqttUnsubscribePacket p => WriteUnsubscribe(p),
            MqttUnsubAckPacket p => WriteUnsubAck(p),
            MqttPingReqPacket or MqttPingRespPacket => 0,
            MqttDisconnectPacket p => WriteDisconnect(p),
            MqttAuthPacket p => WriteAuth(p),
            _ => throw new ArgumentException("Unknown packet type " + packet.GetType().Name, nameof(packet)),
        };
        var bodyLength = (uint)_body.Length;
        if (bodyLength > MqttVariableByteInteger.Maximum)
        {
            throw new MqttProtocolException(MqttProtocolError.PacketTooLarge, "Packet exceeds the MQTT maximum of 256 MB.");
        }
        var total = 1 + MqttVariableByteInteger.Size(bodyLength) + bodyLength;
        if (total > maximumPacketSize)
        {
            throw new MqttProtocolException(MqttProtocolError.PacketTooLarge,
                $"Packet of {total} bytes exceeds the peer's maximum packet size of {maximumPacketSize}.");
        }
        output.WriteByte((byte)(((int)packet.Type << 4) | flags));
        output.WriteVariableByteInteger(bodyLength);
        output.WriteBytes(_body.WrittenSpan);
        if (_body.Length > 1 << 20)
        {
            _body.Trim(512);
        }
        return (int)total;
    }

    private int WriteConnect(MqttConnectPacket p)
    {
        if (p.ProtocolVersion != Version)
        {
            throw new ArgumentException("CONNECT protocol version differs from the encoder's.", nameof(p));
        }
        _body.WriteString("MQTT");
        _body.WriteByte((byte)p.ProtocolVersion);
        var connectFlags = 0;
        if (p.UserName is not null)
        {
            connectFlags |= 0x80;
        }
        if (p.Password is not null)
        {
            connectFlags |= 0x40;
        }
        if (p.Will is { } will)
        {
            connectFlags |= 0x04 | ((int)will.QualityOfService << 3) | (will.Retain ? 0x20 : 0);
        }
        if (p.CleanSession)
        {
            connectFlags |= 0x02;
        }
        _body.WriteByte((byte)connectFlags);
        _body.WriteUInt16(p.KeepAliveSeconds);
        if (IsV5)
        {
            MqttPropertiesCodec.Write(_body, _properties, p.Properties);
        }
        _body.WriteString(p.ClientId);
        if (p.Will is { } w)
        {
            if (IsV5)
            {
                MqttPropertiesCodec.Write(_body, _properties, w.Properties);
            }
            _body.WriteString(w.Topic);
            _body.WriteBinaryData(w.Payload.Span);
        }
        if (p.UserName is not null)
        {
            _body.WriteString(p.UserName);
        }
        if (p.Password is { } password)
        {
            _body.WriteBinaryData(password.Span);
        }
        return 0;
    }

    private int WriteConnAck(MqttConnAckPacket p)
    {
        _body.WriteByte(p.SessionPresent ? (byte)1 : (byte)0);
        _body.WriteByte(p.ReasonCode);
        WritePropertiesIfV5(p.Properties);
        return 0;
    }

    private int WritePublish(MqttPublishPacket p)
    {
        _body.WriteString(p.Topic);
        if (p.QualityOfService != MqttQualityOfService.AtMostOnce)
        {
            _body.WriteUInt16(p.PacketId);
        }
        WritePropertiesIfV5(p.Properties);
        _body.WriteBytes(p.Payload.Span);
        return (p.Dup ? 0x08 : 0) | ((int)p.QualityOfService << 1) | (p.Retain ? 0x01 : 0);
    }

    private int WriteAck(MqttAckPacket p)
    {
        _body.WriteUInt16(p.PacketId);
        // MQTT 5 lets a success without properties end after the packet identifier (§3.4.2.1).
        if (IsV5 && (p.ReasonCode != MqttReasonCode.Success || p.Properties is not null))
        {
            _body.WriteByte((byte)p.ReasonCode);
            MqttPropertiesCodec.Write(_body, _properties, p.Properties);
        }
        return p.Type == MqttPacketType.PubRel ? 0x02 : 0;
    }

    private int WriteSubscribe(MqttSubscribePacket p)
    {
        _body.WriteUInt16(p.PacketId);
        WritePropertiesIfV5(p.Properties);
        foreach (var s in p.Subscriptions)
        {
            _body.WriteString(s.TopicFilter);
            var options = (int)s.QualityOfService;
            if (IsV5)
            {
                options |= (s.NoLocal ? 0x04 : 0) | (s.RetainAsPublished ? 0x08 : 0) | ((s.RetainHandling & 0x03) << 4);
            }
            _body.WriteByte((byte)options);
        }
        return 0x02;
    }

    private int WriteSubAck(MqttSubAckPacket p)
    {
        _body.WriteUInt16(p.PacketId);
        WritePropertiesIfV5(p.Properties);
        foreach (var code in p.ReasonCodes)
        {
            _body.WriteByte((byte)code);
        }
        return 0;
    }

    private int WriteUnsubscribe(MqttUnsubscribePacket p)
    {
        _body.WriteUInt16(p.PacketId);
        WritePropertiesIfV5(p.Properties);
        foreach (var filter in p.TopicFilters)
        {
            _body.WriteString(filter);
        }
        return 0x02;
    }

    private int WriteUnsubAck(MqttUnsubAckPacket p)
    {
        _body.WriteUInt16(p.PacketId);
        if (IsV5)
        {
            MqttPropertiesCodec.Write(_body, _properties, p.Properties);
            foreach (var code in p.ReasonCodes)
            {
                _body.WriteByte((byte)code);
            }
        }
        return 0;
    }

    private int WriteDisconnect(MqttDisconnectPacket p)
    {
        if (IsV5 && (p.ReasonCode != MqttReasonCode.Success || p.Properties is not null))
        {
            _body.WriteByte((byte)p.ReasonCode);
            MqttPropertiesCodec.Write(_body, _properties, p.Properties);
        }
        return 0;
    }

    private int WriteAuth(MqttAuthPacket p)
    {
        if (!IsV5)
        {
            throw new ArgumentException("AUTH exists only in MQTT 5.", nameof(p));
        }
        _body.WriteByte((byte)p.ReasonCode);
        MqttPropertiesCodec.Write(_body, _properties, p.Properties);
        return 0;
    }

    private void WritePropertiesIfV5(MqttProperties? properties)
    {
        if (IsV5)
        {
            MqttPropertiesCodec.Write(_body, _properties, properties);
        }
    }
}
