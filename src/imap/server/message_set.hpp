// Which messages of the selected mailbox a command's set names.
#pragma once

#include <cstdint>
#include <vector>

#include "imap/sequence_set.hpp"
#include "imap/server/command.hpp"

namespace ximssd::imap {

// The known-sequence indexes (0-based, ascending) that `set` names: UIDs for UID commands
// (UIDs that are not there are left out), else sequence numbers (one above the message count is
// a SyntaxError, as RFC 3501 section 9 asks). "$" is the saved search result (SEARCHRES).
std::vector<size_t> resolve_set(CommandContext& c, const SequenceSet& set, bool uid);

// The UIDs at those indexes.
std::vector<int64_t> uids_at(const SelectedMailbox& s, const std::vector<size_t>& indexes);

}  // namespace ximssd::imap
