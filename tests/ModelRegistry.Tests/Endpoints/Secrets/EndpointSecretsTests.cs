using ModelRegistry.Endpoints.Secrets;

namespace ModelRegistry.Tests.Endpoints.Secrets;

public sealed class EndpointSecretsTests
{
    [Theory]
    [InlineData("sk-abcd-1a2b", "••••1a2b")]
    [InlineData("sk-0123456789abcdef-9z8y", "••••9z8y")]
    public void The_hint_of_a_key_of_twelve_characters_or_more_shows_its_last_four(string apiKey, string hint) =>
        Assert.Equal(hint, EndpointSecrets.HintOf(apiKey));

    [Theory]
    [InlineData("x")]
    [InlineData("sk-abc-1a2b")]
    public void The_hint_of_a_shorter_key_shows_nothing_of_it(string apiKey) => Assert.Equal("••••", EndpointSecrets.HintOf(apiKey));

    [Fact]
    public void The_hint_never_splits_a_character_made_of_two_utf16_units() =>
        Assert.Equal("••••key\U0001F511", EndpointSecrets.HintOf("a-longer-api-key\U0001F511"));
}
