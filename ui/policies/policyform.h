#pragma once

#include "core/domain/domain.h"

#include <QSet>
#include <QWidget>

#include <array>

class QCheckBox;
class QGridLayout;
class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPlainTextEdit;

namespace tollgate {

// The settings of one policy level in one form: the limits (each "inherit", a value, or "unlimited"), allowed and
// blocked models picked from the catalog, the bypass flags (a user's override only) and notes. Beside every field,
// the effective value and where it comes from. Refuses bad values inline, naming the field and the reason.
class PolicyForm final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PolicyForm)

public:
    enum class Level { Organization, Group, User };

    explicit PolicyForm(QWidget* parent = nullptr);

    void setLevel(Level level);
    void setModels(const QList<ModelInfo>& models);
    // Loads settings; the form is unchanged afterwards.
    void setSettings(const PolicySettings& settings);
    // The settings as typed, or the first refusal (every refused field is marked).
    Result<PolicySettings> settings() const;
    bool isModified() const { return m_modified; }
    void setModified(bool modified);
    // The effective values to show beside the fields, with where each comes from.
    void setEffective(const EffectivePolicy& policy);

    // For tests: the controls of one dimension.
    QComboBox* modeBox(Dimension d) const { return m_rows[size_t(d)].mode; }
    QLineEdit* valueEdit(Dimension d) const { return m_rows[size_t(d)].value; }
    QLabel* effectiveLabel(Dimension d) const { return m_rows[size_t(d)].effective; }
    QComboBox* blockedModeBox() const { return m_blocked.mode; }
    QListWidget* blockedList() const { return m_blocked.list; }
    QLabel* blockedNote() const { return m_blocked.note; }

signals:
    // Something was typed or picked.
    void edited();

private:
    struct Row
    {
        QComboBox* mode = nullptr;
        QLineEdit* value = nullptr;
        QLabel* effective = nullptr;
    };
    struct ModelList
    {
        QComboBox* mode = nullptr;
        QListWidget* list = nullptr;
        QLabel* effective = nullptr;
        QLabel* note = nullptr; // what a list set here does to the inherited one
        QSet<QString> inherited; // what this level inherits (known while it inherits)
    };
    void addLimitRow(QGridLayout* grid, int row, Dimension d);
    void startFromInherited(ModelList& list); // a list set here begins as the inherited one
    ModelList addModelList(QGridLayout* grid, int row, const QString& label, bool allowed);
    void setModelRule(const ModelList& list, const ModelRule& rule, bool allowed);
    Result<ModelRule> modelRule(const ModelList& list, bool allowed) const;
    void updateEnabled();
    void onEdited();

    Level m_level = Level::Organization;
    std::array<Row, kDimensionCount> m_rows {};
    ModelList m_allowed;
    ModelList m_blocked;
    QCheckBox* m_bypassCost = nullptr;
    QCheckBox* m_bypassRate = nullptr;
    QCheckBox* m_bypassModels = nullptr;
    QLabel* m_bypassWarning = nullptr;
    QWidget* m_bypassBox = nullptr;
    QPlainTextEdit* m_notes = nullptr;
    bool m_loading = false;
    bool m_modified = false;
};

} // namespace tollgate
