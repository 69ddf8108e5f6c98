using PatientStream.Testing;

namespace PatientStream.Mqtt.Tests.Client;

/// <summary>A plain Mosquitto shared by one test class.</summary>
public sealed class PlainBroker() : MosquittoFixture(new MosquittoOptions());

/// <summary>Mosquitto that keeps sessions on disk across restarts.</summary>
public sealed class PersistentBroker() : MosquittoFixture(new MosquittoOptions { Persistence = true });

/// <summary>Mosquitto with users and an ACL on the plain listener: "device" may write only below its own topic.</summary>
public sealed class AclBroker() : MosquittoFixture(new MosquittoOptions
{
    Users = new Dictionary<string, string> { ["dev-1"] = "dev-1-secret", ["edge"] = "edge-secret" },
    Acl = """
        user edge
        topic readwrite #
        pattern readwrite ps/v1/devices/%u/#
        """,
});
