namespace PatientStream.Mqtt;

/// <summary>The protocol level sent in CONNECT; the value is the byte on the wire.</summary>
public enum MqttProtocolVersion
{
    V311 = 4,
    V500 = 5,
}

/// <summary>Quality of service of a PUBLISH or a subscription.</summary>
public enum MqttQualityOfService
{
    AtMostOnce = 0,
    AtLeastOnce = 1,
    ExactlyOnce = 2,
}
