import Foundation
import ReconcileCore
@testable import ReconcileProviders
import Testing

/// Debian's update-exim4.conf.conf edited in place, on the file as Debian 12 ships it.
@Suite struct DebianEximSettingsTests {
    @Test func listedKeysChangeAndEverythingElseStays() throws {
        let original = try fixture("exim/update-exim4.conf.conf")
        let wanted = ["dc_use_split_config": "true", "dc_eximconfig_configtype": "internet", "dc_new_key": "a b"]
        let edited = try #require(DebianEximSettings.edited(original, wanted: wanted))
        let values = DebianEximSettings.parse(edited)
        #expect(values["dc_use_split_config"] == "true")
        #expect(values["dc_eximconfig_configtype"] == "internet")
        #expect(values["dc_new_key"] == "a b")
        let before = DebianEximSettings.parse(original)
        for (key, value) in before where wanted[key] == nil { #expect(values[key] == value, "\(key)") }
        // Comments and order stay: only the two lines differ, and one is appended.
        let old = original.split(separator: "\n", omittingEmptySubsequences: false)
        let new = edited.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(new.count == old.count + 1)
        #expect(zip(old.dropLast(), new).filter { $0 != $1 }.count == 2)
        #expect(new.suffix(2) == ["dc_new_key='a b'", ""])
        #expect(DebianEximSettings.edited(edited, wanted: wanted) == nil)
    }

    @Test func settingsThatCannotBeWrittenSafelyAreRefused() {
        let loaded = loadManifest("""
            kind: OnionRelay
            name: mx
            entries:
              example.org: tdgbhiqjnq7osklj6k7e4y37xhx6ytznp7ozqc2qxoqfhxfg3c5ygsid.onion
            exim:
              settings:
                dc_use_split_config: "false"
                DC_UPPER: x
                dc_quote: "it's"
                dc_list: [a, b]
            """)
        let text = rendered(loaded)
        #expect(text.contains("dc_use_split_config must be \"true\""))
        #expect(text.contains("\"DC_UPPER\": Debian's Exim settings are named dc_"))
        #expect(text.contains("exim.settings.dc_quote: a value may not hold a single quote"))
        #expect(text.contains("exim.settings.dc_list: expected a string, found a sequence"))
    }
}
