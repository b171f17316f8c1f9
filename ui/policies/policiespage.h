#pragma once

#include "core/service/service.h"
#include "ui/page.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;

namespace tollgate {

class PolicyForm;

// Organisation defaults, a group's settings or a user's override, in one editor. Beside every field: the
// effective value for that user (or for a member of that group) and where it comes from, previewed as you type.
// Save writes the level in one transaction (refused when someone else changed it meanwhile); Revert reloads it;
// leaving with unsaved changes asks first.
class PoliciesPage final : public Page
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PoliciesPage)

public:
    explicit PoliciesPage(Console& console, QWidget* parent = nullptr);
    void reload() override;
    bool mayLeave() override;

    // Shows a level (asks about unsaved changes first); false when the user chose to stay.
    bool edit(PolicyEdit::Level level, Id id = 0);
    bool save();
    void revert();
    PolicyForm* form() const { return m_form; }

private:
    void levelChosen();
    void load();
    void preview();

    QComboBox* m_level = nullptr;
    QComboBox* m_group = nullptr;
    QLineEdit* m_user = nullptr;
    QLabel* m_subject = nullptr;
    PolicyForm* m_form = nullptr;
    QPushButton* m_save = nullptr;
    QPushButton* m_revert = nullptr;
    QPushButton* m_clear = nullptr;
    QLabel* m_state = nullptr;
    PolicyEdit::Level m_editing = PolicyEdit::Level::Organization;
    Id m_id = 0;
    Instant m_loadedVersion = 0; // updatedAt of what was loaded: a save over someone else's change is refused
    bool m_changing = false;
};

} // namespace tollgate
