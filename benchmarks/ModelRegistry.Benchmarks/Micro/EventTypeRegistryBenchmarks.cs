using System.Text.Json;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using ModelRegistry.EventStore;

namespace ModelRegistry.Benchmarks.Micro;

/// <summary>
/// The per-event CPU cost of the store's (de)serialization, which bounds replay speed:
/// <c>scripts/bench.sh micro --filter '*EventTypeRegistry*'</c>.
/// </summary>
[MemoryDiagnoser]
public class EventTypeRegistryBenchmarks
{
    private readonly EventTypeRegistry _types = new();
    private readonly EventTypeRegistry _upcasting = new();
    private readonly VersionRegistered _event = BenchEvents.VersionRegistered("TheBloke/TinyLlama-1.1B-Chat-v1.0", 3);
    private string _json = "";
    private string _schema1Json = "";

    [GlobalSetup]
    public void Setup()
    {
        BenchEvents.Register(_types);
        _json = _types.Serialize(_event);
        // Schema 1 had no format; its upcaster fills it in.
        _upcasting.Register<VersionRegistered>(BenchEvents.VersionRegisteredName, schemaVersion: 2)
            .Upcast(BenchEvents.VersionRegisteredName, 1, node =>
            {
                node["format"] = "gguf";
                return node;
            });
        var schema1 = JsonNode.Parse(_json)!.AsObject();
        schema1.Remove("format");
        _schema1Json = schema1.ToJsonString();
    }

    [Benchmark(Baseline = true)]
    public object? DeserializeOnly() => JsonSerializer.Deserialize<VersionRegistered>(_json, _types.JsonOptions);

    [Benchmark]
    public object Read() => _types.Read(BenchEvents.VersionRegisteredName, 1, _json).Data;

    [Benchmark]
    public object ReadWithUpcast() => _upcasting.Read(BenchEvents.VersionRegisteredName, 1, _schema1Json).Data;

    [Benchmark]
    public string Serialize() => _types.Serialize(_event);
}
