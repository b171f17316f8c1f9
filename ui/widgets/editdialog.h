#pragma once

#include "core/domain/domain.h"

#include <QDialog>
#include <QHash>

#include <functional>

class QCheckBox;
class QComboBox;
class QFormLayout;
class QLabel;
class QLineEdit;

namespace tollgate {

// A small form in a dialog for the pages' create and edit actions. Save runs the given function; a refusal keeps
// the dialog open, marks the field it names and says why, so nothing is half-written and nothing typed is lost.
class EditDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EditDialog)

public:
    EditDialog(const QString& title, QWidget* parent = nullptr);

    // `field` names the field in the errors the save function returns.
    QLineEdit* addLine(const QString& field, const QString& label, const QString& value,
                       const QString& placeholder = {});
    // A dollar amount in the console's notation, with what will be saved beside it (ui/widgets/moneyedit.h).
    QLineEdit* addMoney(const QString& field, const QString& label, const std::optional<Money>& value,
                        const QString& placeholder = {});
    QComboBox* addChoice(const QString& label, const QList<std::pair<QString, QVariant>>& choices,
                         const QVariant& current);
    QCheckBox* addCheck(const QString& label, bool checked);
    void addNote(const QString& text);
    void setSave(std::function<Status()> save) { m_save = std::move(save); }

    void accept() override;
    QSize sizeHint() const override;

private:
    QFormLayout* m_form = nullptr;
    QLabel* m_error = nullptr;
    QHash<QString, QLineEdit*> m_fields;
    std::function<Status()> m_save;
};

} // namespace tollgate
