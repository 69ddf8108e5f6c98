using PatientStream.Testing;

namespace PatientStream.Ingest.Tests.Influx;

/// <summary>One InfluxDB for the assembly; tests isolate themselves with their own databases.</summary>
[CollectionDefinition(Name)]
public sealed class InfluxTestGroup : ICollectionFixture<InfluxFixture>
{
    public const string Name = "influx";
}
