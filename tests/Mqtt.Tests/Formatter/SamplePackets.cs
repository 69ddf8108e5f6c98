using System.Text;
using PatientStream.Mqtt.Packets;

namespace PatientStream.Mqtt.Tests.Formatter;

/// <summary>One valid example of every packet type a version has, with properties under MQTT 5.</summary>
internal static class SamplePackets
{
    public static IEnumerable<MqttPacket> For(MqttProtocolVersion version)
    {
        var v5 = version == MqttProtocolVersion.V500;
        MqttProperties? Props(Action<MqttProperties> fill)
        {
            if (!v5)
            {
                return null;
            }
            var p = new MqttProperties();
            fill(p);
            return p;
        }

        yield return new MqttConnectPacket
        {
            ProtocolVersion = version,
            ClientId = "dev-1",
            CleanSession = false,
            KeepAliveSeconds = 30,
            UserName = "user",
            Password = Encoding.UTF8.GetBytes("secret"),
            Will = new MqttWillPacket("ps/v1/devices/dev-1/status", Encoding.UTF8.GetBytes("offline"), MqttQualityOfService.AtLeastOnce, true)
            {
                Properties = Props(p => p.WillDelayInterval = 5),
            },
            Properties = Props(p =>
            {
                p.SessionExpiryInterval = 3600;
                p.ReceiveMaximum = 100;
                p.MaximumPacketSize = 1 << 20;
                p.TopicAliasMaximum = 10;
                p.UserProperties.Add(new MqttUserProperty("site", "ward-7"));
            }),
        };
        yield return new MqttConnAckPacket
        {
            SessionPresent = true,
            Properties = Props(p =>
            {
                p.AssignedClientIdentifier = "auto-1";
                p.ReceiveMaximum = 20;
                p.ServerKeepAlive = 60;
                p.MaximumQoS = 1;
                p.RetainAvailable = 1;
                p.TopicAliasMaximum = 10;
                p.ReasonString = "welcome";
            }),
        };
        yield return new MqttPublishPacket
        {
            Topic = "ps/v1/devices/dev-1/readings",
            Payload = Encoding.UTF8.GetBytes("{\"v\":1}"),
            QualityOfService = MqttQualityOfService.ExactlyOnce,
            Dup = true,
            Retain = true,
            PacketId = 42,
            Properties = Props(p =>
            {
                p.ContentType = "application/json";
                p.ResponseTopic = "reply/here";
                p.CorrelationData = new byte[] { 1, 2, 3 };
                p.MessageExpiryInterval = 120;
                p.PayloadFormatIndicator = 1;
                p.TopicAlias = 3;
                p.SubscriptionIdentifiers.Add(7);
                p.SubscriptionIdentifiers.Add(300);
                p.UserProperties.Add(new MqttUserProperty("a", "1"));
                p.UserProperties.Add(new MqttUserProperty("a", "2"));
            }),
        };
        yield return new MqttPublishPacket { Topic = "t", Payload = ReadOnlyMemory<byte>.Empty };
        foreach (var type in new[] { MqttPacketType.PubAck, MqttPacketType.PubRec, MqttPacketType.PubRel, MqttPacketType.PubComp })
        {
            yield return new MqttAckPacket(type, 7);
            if (v5)
            {
                yield return new MqttAckPacket(type, 8, MqttReasonCode.NotAuthorized) { Properties = Props(p => p.ReasonString = "denied") };
            }
        }
        yield return new MqttSubscribePacket
        {
            PacketId = 9,
            Subscriptions =
            [
                new MqttSubscription("ps/v1/devices/+/readings", MqttQualityOfService.AtLeastOnce),
                new MqttSubscription("$share/edge/ps/#", MqttQualityOfService.ExactlyOnce)
                {
                    NoLocal = v5, RetainAsPublished = v5, RetainHandling = v5 ? (byte)2 : (byte)0,
                },
            ],
            Properties = Props(p => p.SubscriptionIdentifiers.Add(5)),
        };
        yield return new MqttSubAckPacket
        {
            PacketId = 9,
            ReasonCodes = [MqttReasonCode.GrantedQoS1, MqttReasonCode.UnspecifiedError],
        };
        yield return new MqttUnsubscribePacket { PacketId = 10, TopicFilters = ["a/+", "b/#"] };
        yield return new MqttUnsubAckPacket
        {
            PacketId = 10,
            ReasonCodes = v5 ? [MqttReasonCode.Success, MqttReasonCode.NoSubscriptionExisted] : [],
        };
        yield return MqttPingReqPacket.Instance;
        yield return MqttPingRespPacket.Instance;
        yield return new MqttDisconnectPacket();
        if (v5)
        {
            yield return new MqttDisconnectPacket
            {
                ReasonCode = MqttReasonCode.ServerShuttingDown,
                Properties = Props(p =>
                {
                    p.ReasonString = "maintenance";
                    p.ServerReference = "other:1883";
                    p.SessionExpiryInterval = 0;
                }),
            };
            yield return new MqttAuthPacket
            {
                ReasonCode = MqttReasonCode.ContinueAuthentication,
                Properties = Props(p =>
                {
                    p.AuthenticationMethod = "SCRAM-SHA-256";
                    p.AuthenticationData = new byte[] { 9, 9 };
                }),
            };
        }
    }
}
